//! The local mail and SMS outbox (`infra/smtp/outbox.py`: a real SMTP server, aiosmtpd,
//! and an HTTP receiver standing in for the SMS provider), started per test on free
//! ports. Tests read what it received, decoded, from its directory.

use std::{
    io::{BufRead as _, BufReader},
    path::PathBuf,
    process::{Child, Command, Stdio},
    sync::atomic::{AtomicU32, Ordering},
};

use anyhow::{Context as _, bail};
use serde_json::Value;

/// A running outbox; dropping it stops the server and removes its directory.
pub struct Outbox {
    child: Child,
    pub dir: PathBuf,
    pub smtp_port: u16,
    /// `http://127.0.0.1:<port>/sms`
    pub sms_endpoint: String,
}

impl Drop for Outbox {
    fn drop(&mut self) {
        self.child.kill().ok();
        self.child.wait().ok();
        std::fs::remove_dir_all(&self.dir).ok();
    }
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

impl Outbox {
    /// Starts the outbox; needs `infra/smtp/.venv` (`./infra/test` installs it).
    pub fn start() -> anyhow::Result<Self> {
        static COUNT: AtomicU32 = AtomicU32::new(0);
        let python = root().join("infra/smtp/.venv/bin/python");
        if !python.exists() {
            bail!(
                "{} is missing: run ./infra/test once, or \
                 python3 -m venv infra/smtp/.venv && infra/smtp/.venv/bin/pip install -r infra/smtp/requirements.txt",
                python.display()
            );
        }
        let dir = std::env::temp_dir().join(format!(
            "guichet-outbox-{}-{}",
            std::process::id(),
            COUNT.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir)?;
        let mut child = Command::new(python)
            .arg(root().join("infra/smtp/outbox.py"))
            .arg("--dir")
            .arg(&dir)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .context("starting infra/smtp/outbox.py")?;
        let stdout = child.stdout.take().context("no stdout")?;
        let mut lines = BufReader::new(stdout).lines();
        let mut smtp_port = None;
        let mut sms_endpoint = None;
        while smtp_port.is_none() || sms_endpoint.is_none() {
            let line = lines
                .next()
                .context("the outbox stopped before printing its ports")??;
            if let Some(addr) = line.strip_prefix("SMTP ") {
                smtp_port = addr.rsplit(':').next().and_then(|p| p.parse().ok());
            } else if let Some(url) = line.strip_prefix("SMS ") {
                sms_endpoint = Some(url.to_owned());
            }
        }
        // Keep reading its output so it never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines.by_ref() {});
        Ok(Self {
            child,
            dir,
            smtp_port: smtp_port.context("no SMTP port")?,
            sms_endpoint: sms_endpoint.context("no SMS endpoint")?,
        })
    }

    /// Every e-mail received, oldest first: `rcpt_tos`, `subject`, `text` (decoded)…
    pub fn mails(&self) -> Vec<Value> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(self.dir.join("mail"))
            .map(|entries| {
                entries
                    .filter_map(|e| e.ok().map(|e| e.path()))
                    .filter(|p| p.extension().is_some_and(|x| x == "json"))
                    .collect()
            })
            .unwrap_or_default();
        files.sort();
        files
            .iter()
            .filter_map(|p| std::fs::read(p).ok())
            .filter_map(|data| serde_json::from_slice(&data).ok())
            .collect()
    }

    /// The e-mails received by `address`.
    pub fn mails_to(&self, address: &str) -> Vec<Value> {
        self.mails()
            .into_iter()
            .filter(|m| {
                m["rcpt_tos"]
                    .as_array()
                    .is_some_and(|to| to.iter().any(|t| t.as_str() == Some(address)))
            })
            .collect()
    }

    /// Every SMS received: `to`, `text`, `sender`.
    pub fn sms(&self) -> Vec<Value> {
        std::fs::read_to_string(self.dir.join("sms.jsonl"))
            .unwrap_or_default()
            .lines()
            .filter_map(|line| serde_json::from_str(line).ok())
            .collect()
    }
}
