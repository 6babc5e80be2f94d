//! No module of any crate leans on a module that leans back on it (issue 18): inside a
//! crate, dependencies between sibling modules go one way, so each layer (gRPC adapter,
//! use cases, store, domain) can be read and changed without the ones above it.
//!
//! The graph is read from the sources: every `crate::a::b` and `super::…` path in a
//! file, grouped imports (`use crate::{a::b, c::{d, e}}`) expanded, is an edge from that
//! file's module to the deepest module the path names.
//! References between a module and its own ancestors or descendants are not edges
//! (a parent re-exports its children; a child's tests use `super::*`), nor are a file's
//! own unit tests (its trailing `mod tests`).

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

use regex::Regex;

/// Each crate's `src` directory, relative to the workspace root.
fn crate_sources(root: &Path) -> Vec<PathBuf> {
    let mut sources = vec![
        root.join("gateway/src"),
        root.join("proto/src"),
        root.join("tests/src"),
    ];
    for entry in fs::read_dir(root.join("services")).expect("services/") {
        let src = entry.expect("entry").path().join("src");
        if src.is_dir() {
            sources.push(src);
        }
    }
    sources
}

fn rust_files(dir: &Path, files: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).expect("readable directory") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            rust_files(&path, files);
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
}

/// `src/a/b.rs` and `src/a/b/mod.rs` → `["a", "b"]`; `lib.rs` and `main.rs` → the root.
fn module_of(src: &Path, file: &Path) -> Vec<String> {
    let relative = file.strip_prefix(src).expect("file under src");
    let mut parts: Vec<String> = relative
        .with_extension("")
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if matches!(
        parts.last().map(String::as_str),
        Some("mod" | "lib" | "main")
    ) {
        parts.pop();
    }
    parts
}

fn related(a: &[String], b: &[String]) -> bool {
    a.starts_with(b) || b.starts_with(a)
}

/// The edges between the crate's modules, each with one line that makes it.
fn edges(src: &Path) -> BTreeMap<(Vec<String>, Vec<String>), String> {
    let mut files = Vec::new();
    rust_files(src, &mut files);
    let modules: BTreeSet<Vec<String>> = files.iter().map(|f| module_of(src, f)).collect();
    let path = Regex::new(r"\b((?:crate|super)(?:::(?:super|[a-z_][a-z0-9_]*))+)").expect("regex");
    let mut found = BTreeMap::new();
    for file in &files {
        let from = module_of(src, file);
        let text = fs::read_to_string(file).expect("readable source");
        // A file's own tests (its trailing `mod tests`) may reach anywhere: they are
        // not part of the layering.
        let text = text
            .split_once("#[cfg(test)]\nmod tests")
            .map_or(text.as_str(), |(code, _)| code);
        let code: String = text
            .lines()
            .filter(|l| !l.trim_start().starts_with("//"))
            .collect::<Vec<_>>()
            .join("\n");
        let written = code.lines().flat_map(|line| {
            path.captures_iter(line)
                .map(|c| (c[1].to_owned(), line.trim().to_owned()))
                .collect::<Vec<_>>()
        });
        let grouped = grouped_paths(&code).into_iter().map(|p| (p.clone(), p));
        for (named, line) in written.chain(grouped) {
            {
                let mut segments = named.split("::");
                let mut target = match segments.next() {
                    Some("crate") => Vec::new(),
                    _ => from[..from.len().saturating_sub(1)].to_vec(),
                };
                for segment in segments {
                    if segment == "super" {
                        target.pop();
                    } else {
                        target.push(segment.to_owned());
                    }
                }
                // The deepest module the path names (the rest is an item inside it).
                while !target.is_empty() && !modules.contains(&target) {
                    target.pop();
                }
                if related(&from, &target) {
                    continue;
                }
                found
                    .entry((from.clone(), target))
                    .or_insert_with(|| format!("{}: {line}", file.display()));
            }
        }
    }
    found
}

/// The paths of grouped imports written out: `crate::{a::b, c::{d, e as f}, g}` →
/// `crate::a::b`, `crate::c::d`, `crate::c::e`, `crate::g`.
fn grouped_paths(code: &str) -> Vec<String> {
    let start =
        Regex::new(r"\b((?:crate|super)(?:::(?:super|[a-z_][a-z0-9_]*))*)::\{").expect("regex");
    let mut paths = Vec::new();
    for capture in start.captures_iter(code) {
        let open = capture.get(0).expect("match").end();
        expand(&capture[1], balanced(&code[open..]), &mut paths);
    }
    paths
}

/// `text` up to the brace that closes the one just before it.
fn balanced(text: &str) -> &str {
    let mut depth = 0;
    for (at, c) in text.char_indices() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => return &text[..at],
            '}' => depth -= 1,
            _ => {}
        }
    }
    text
}

/// Each item of the group `group` (the inside of `prefix::{…}`), as a full path.
fn expand(prefix: &str, group: &str, paths: &mut Vec<String>) {
    let (mut depth, mut item) = (0, String::new());
    for c in group.chars().chain([',']) {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            _ => {}
        }
        if c == ',' && depth == 0 {
            let written = item.split_whitespace().collect::<Vec<_>>().join(" ");
            item.clear();
            if let Some((head, rest)) = written.split_once('{') {
                let inner = rest.rsplit_once('}').map_or(rest, |(inner, _)| inner);
                let head = head.trim().trim_end_matches("::");
                expand(&format!("{prefix}::{head}"), inner, paths);
            } else if let Some(name) = written.split(" as ").next().filter(|n| !n.is_empty()) {
                match name {
                    "self" | "*" => paths.push(prefix.to_owned()),
                    _ => paths.push(format!("{prefix}::{name}")),
                }
            }
        } else {
            item.push(c);
        }
    }
}

/// Lifts an edge to the level where the two modules are siblings: `a::x → b::y` is an
/// edge `a → b` between the children of their common parent.
fn siblings(from: &[String], to: &[String]) -> (Vec<String>, Vec<String>) {
    let common = from.iter().zip(to).take_while(|(a, b)| a == b).count();
    (from[..=common].to_vec(), to[..=common].to_vec())
}

/// Every cycle among sibling modules of the crate at `src`, each with its lines.
fn cycles(src: &Path) -> Vec<String> {
    let mut cycles = Vec::new();
    {
        let edges = edges(src);
        let mut lifted: BTreeMap<(Vec<String>, Vec<String>), &String> = BTreeMap::new();
        for ((from, to), line) in &edges {
            lifted.entry(siblings(from, to)).or_insert(line);
        }
        // Cycles of any length among siblings: a module reaching itself.
        let graph: BTreeMap<&Vec<String>, Vec<&Vec<String>>> =
            lifted.keys().fold(BTreeMap::new(), |mut g, (a, b)| {
                g.entry(a).or_insert_with(Vec::new).push(b);
                g
            });
        for start in graph.keys() {
            let mut seen = BTreeSet::new();
            let mut stack = vec![(*start, vec![*start])];
            while let Some((at, trail)) = stack.pop() {
                for next in graph.get(at).into_iter().flatten() {
                    if next == start {
                        let steps: Vec<String> = trail
                            .iter()
                            .zip(trail.iter().skip(1).chain([next]))
                            .map(|(a, b)| {
                                format!(
                                    "{} → {}  ({})",
                                    a.join("::"),
                                    b.join("::"),
                                    lifted[&((*a).clone(), (*b).clone())]
                                )
                            })
                            .collect();
                        cycles.push(format!("{}:\n  {}", src.display(), steps.join("\n  ")));
                    } else if seen.insert(*next) {
                        let mut trail = trail.clone();
                        trail.push(next);
                        stack.push((next, trail));
                    }
                }
            }
        }
    }
    cycles
}

#[test]
fn no_module_leans_on_a_module_that_leans_back_on_it() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let cycles: Vec<String> = crate_sources(&root)
        .iter()
        .flat_map(|src| cycles(src))
        .collect();
    assert!(
        cycles.is_empty(),
        "modules that lean on each other:\n{}",
        cycles.join("\n")
    );
}

#[test]
fn the_cycle_check_sees_a_cycle() {
    let dir = std::env::temp_dir().join(format!("guichet-cycles-{}", std::process::id()));
    fs::create_dir_all(dir.join("form")).expect("temp dir");
    fs::write(dir.join("lib.rs"), "mod form;\nmod service;\n").expect("write");
    fs::write(dir.join("form/mod.rs"), "pub mod field;\n").expect("write");
    fs::write(
        dir.join("form/field.rs"),
        "const M: usize = crate::service::MAX;\n",
    )
    .expect("write");
    // Written as a group over two lines, as rustfmt writes imports.
    fs::write(
        dir.join("service.rs"),
        "use crate::{\n    form::{self, field::M},\n};\n",
    )
    .expect("write");
    let found = cycles(&dir);
    // The same crate once the constant lives at the bottom: no cycle left.
    fs::write(dir.join("form/field.rs"), "pub const MAX: usize = 1;\n").expect("write");
    let after = cycles(&dir);
    fs::remove_dir_all(&dir).expect("clean up");
    assert!(
        found
            .iter()
            .any(|c| c.contains("form → service") && c.contains("service → form")),
        "{found:?}"
    );
    assert!(after.is_empty(), "{after:?}");
}
