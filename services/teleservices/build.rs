//! Embeds the demo catalogue: one `include_str!` per `catalogue/*.json`, listed in
//! `$OUT_DIR/catalogue.rs` (read by `form::catalog::FILES`). Cargo reruns this when
//! anything in the directory changes, so a file added there is seeded without any
//! Rust list to edit.

use std::{env, fmt::Write as _, fs, io, path::PathBuf};

fn main() -> io::Result<()> {
    println!("cargo::rerun-if-changed=catalogue");
    let dir =
        PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").unwrap_or_default()).join("catalogue");
    let mut files = Vec::new();
    for entry in fs::read_dir(&dir)? {
        let name = entry?.file_name().into_string().map_err(|_| {
            io::Error::new(
                io::ErrorKind::InvalidData,
                "catalogue file name is not UTF-8",
            )
        })?;
        if name.ends_with(".json") {
            files.push(name);
        }
    }
    files.sort();
    let mut list = String::from("&[\n");
    for name in files {
        // Paths from CARGO_MANIFEST_DIR at compile time, not this script's absolute
        // path: a build directory shared by two checkouts then still reads its own.
        // `{:?}` writes a Rust string literal, escapes included.
        let path = format!("/catalogue/{name}");
        writeln!(
            list,
            "    File {{ name: {name:?}, json: include_str!(concat!(env!(\"CARGO_MANIFEST_DIR\"), {path:?})) }},"
        )
        .map_err(io::Error::other)?;
    }
    list.push_str("]\n");
    let out = PathBuf::from(env::var_os("OUT_DIR").unwrap_or_default());
    fs::write(out.join("catalogue.rs"), list)
}
