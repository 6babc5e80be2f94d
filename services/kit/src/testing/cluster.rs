//! A PostgreSQL cluster of the test's own, on a free port, for tests that break the
//! database (stop it, restart it) without touching the machine's shared server. Built
//! with the server's own tools (`initdb`, `pg_ctl`); as root they run as `postgres`.

use std::{path::PathBuf, process::Command};

use anyhow::{Context as _, bail};
use secrecy::SecretString;

use crate::config::DatabaseConfig;

/// A running throwaway cluster; dropping it stops it and removes its files.
pub struct Cluster {
    dir: PathBuf,
    port: u16,
}

impl Cluster {
    /// Initialises and starts a cluster in a fresh directory under the system's
    /// temporary directory, trust authentication, listening on 127.0.0.1 only.
    pub fn start() -> anyhow::Result<Self> {
        let port = free_port()?;
        let dir = std::env::temp_dir().join(format!("guichet-pg-{}", super::short_id()));
        std::fs::create_dir_all(&dir)?;
        if is_root() {
            run(Command::new("chown").arg("postgres:postgres").arg(&dir))?;
        }
        let cluster = Self { dir, port };
        cluster.pg(
            &["initdb", "-A", "trust", "-U", "postgres", "--no-sync", "-D"],
            true,
        )?;
        cluster.start_again()?;
        Ok(cluster)
    }

    /// Settings for a database named `name` on this cluster.
    pub fn database(&self, name: &str) -> DatabaseConfig {
        DatabaseConfig {
            url: SecretString::from(format!("postgres://postgres@127.0.0.1:{}", self.port)),
            name: name.to_owned(),
            ..DatabaseConfig::default()
        }
    }

    /// Stops the server at once, as a crash would (`pg_ctl stop -m immediate`).
    pub fn crash(&self) -> anyhow::Result<()> {
        self.pg(&["pg_ctl", "stop", "-m", "immediate", "-w", "-D"], true)
    }

    /// Starts the server again on the same port and data.
    pub fn start_again(&self) -> anyhow::Result<()> {
        let options = format!(
            "-p {} -c listen_addresses=127.0.0.1 -k {} -c fsync=off",
            self.port,
            self.dir.display()
        );
        let log = self.dir.join("log").display().to_string();
        self.pg(
            &[
                "pg_ctl", "start", "-w", "-t", "60", "-o", &options, "-l", &log, "-D",
            ],
            true,
        )
    }

    fn data(&self) -> PathBuf {
        self.dir.join("data")
    }

    /// Runs a server tool, with the data directory as last argument if `with_data`.
    fn pg(&self, args: &[&str], with_data: bool) -> anyhow::Result<()> {
        let (tool, rest) = args.split_first().context("no tool")?;
        let program = bin_dir()?.join(tool);
        let mut command = if is_root() {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(program);
            c
        } else {
            Command::new(program)
        };
        command.args(rest);
        if with_data {
            command.arg(self.data());
        }
        run(&mut command)
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        self.crash().ok();
        std::fs::remove_dir_all(&self.dir).ok();
    }
}

fn run(command: &mut Command) -> anyhow::Result<()> {
    let output = command
        .output()
        .with_context(|| format!("running {command:?}"))?;
    if !output.status.success() {
        bail!(
            "{command:?} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(())
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// The newest installed server's tools (`/usr/lib/postgresql/<version>/bin`).
fn bin_dir() -> anyhow::Result<PathBuf> {
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .context("PostgreSQL's server tools are not installed")?
        .filter_map(Result::ok)
        .map(|entry| entry.path().join("bin"))
        .filter(|bin| bin.join("pg_ctl").exists())
        .collect();
    versions.sort();
    versions
        .pop()
        .context("no pg_ctl under /usr/lib/postgresql")
}

fn free_port() -> anyhow::Result<u16> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok(listener.local_addr()?.port())
}
