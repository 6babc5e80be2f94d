//! A RabbitMQ node of the test's own, on free local ports, for tests that crash the
//! broker (SIGKILL, restart) without touching the machine's shared node. Started with
//! the server's own script and a configuration of its own, so nothing of
//! `/etc/rabbitmq` (node name, listener, plugins) applies; as root it runs as `rabbitmq`.
//!
//! The script `exec`s down to the Erlang VM (`RABBITMQ_ALLOW_INPUT` keeps it from
//! wrapping the VM in a signal-forwarding shell), so the child process kept here *is*
//! `beam.smp`: killing it is what a crash does, and waiting for it reaps it.

use std::{
    fs::OpenOptions,
    os::unix::process::CommandExt as _,
    path::PathBuf,
    process::{Child, Command, Stdio},
    sync::{Mutex, PoisonError},
    time::{Duration, Instant},
};

use anyhow::{Context as _, bail};
use secrecy::SecretString;

use crate::config::AmqpConfig;

/// The server script, not Debian's `/usr/sbin` wrapper (which switches user through `su`
/// and logs to `/var/log/rabbitmq`).
const SERVER: &str = "/usr/lib/rabbitmq/bin/rabbitmq-server";
/// The longest a start may take before the node is given up; a fresh node boots in about
/// five seconds.
const STARTUP: Duration = Duration::from_secs(60);
/// The longest one readiness probe may take.
const PROBE: Duration = Duration::from_secs(5);

/// A running throwaway node; dropping it kills it and removes its files.
pub struct Broker {
    /// Configuration, database (`mnesia/`), logs and Erlang cookie of this node only.
    dir: PathBuf,
    /// `guichet-test-<id>@localhost`: registered with the shared epmd beside the shared
    /// node, so it must differ from it and from every other test's.
    node: String,
    /// AMQP listener, on 127.0.0.1.
    port: u16,
    /// Erlang distribution listener; left to the default, it would be the AMQP port plus
    /// 20000, which nothing guarantees free.
    dist_port: u16,
    /// The node's `beam.smp` while it runs; behind a lock because `kill` and
    /// `start_again` take `&self`.
    vm: Mutex<Option<Child>>,
}

impl Broker {
    /// Starts a fresh node in a new directory under the system's temporary directory,
    /// listening on 127.0.0.1 only, and returns once it accepts AMQP connections.
    pub fn start() -> anyhow::Result<Self> {
        let (port, dist_port) = two_free_ports()?;
        let id = super::short_id();
        let dir = std::env::temp_dir().join(format!("guichet-rabbitmq-{id}"));
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        let broker = Self {
            dir,
            node: format!("guichet-test-{id}@localhost"),
            port,
            dist_port,
            vm: Mutex::new(None),
        };
        // Set the node's files up; from here on, dropping `broker` removes them.
        let write = |name: &str, contents: String| {
            let path = broker.dir.join(name);
            std::fs::write(&path, contents).with_context(|| format!("writing {}", path.display()))
        };
        write(
            "rabbitmq.conf",
            format!("listeners.tcp.local = 127.0.0.1:{port}\n"),
        )?;
        // No plugins: no management listener on 15672 (the shared node's) or elsewhere.
        write("enabled_plugins", "[].\n".to_owned())?;
        // Read instead of /etc/rabbitmq/rabbitmq-env.conf, which names the shared node.
        write("rabbitmq-env.conf", String::new())?;
        if let Some((uid, gid)) = rabbitmq_user()? {
            std::os::unix::fs::chown(&broker.dir, Some(uid), Some(gid))
                .with_context(|| format!("giving {} to rabbitmq", broker.dir.display()))?;
        }
        broker.start_again()?;
        Ok(broker)
    }

    /// Settings for this node's default vhost `/` as `guest`.
    pub fn amqp(&self) -> AmqpConfig {
        AmqpConfig {
            url: SecretString::from(format!("amqp://guest:guest@127.0.0.1:{}/%2f", self.port)),
            ..AmqpConfig::default()
        }
    }

    /// Kills the node's Erlang VM with SIGKILL, as a crash would, and returns once it is
    /// gone. Nothing happens if it is not running.
    pub fn kill(&self) -> anyhow::Result<()> {
        let mut vm = self.vm.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(mut child) = vm.take() {
            // Fails only if it has already exited; `wait` reaps it either way.
            child.kill().ok();
            child
                .wait()
                .context("waiting for the killed node to exit")?;
        }
        Ok(())
    }

    /// Starts the node again on the same ports and data, and returns once it accepts AMQP
    /// connections. A node that does not come up within a minute is killed.
    pub fn start_again(&self) -> anyhow::Result<()> {
        let mut vm = self.vm.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(child) = vm.as_mut()
            && child.try_wait()?.is_none()
        {
            bail!("node {} is already running", self.node);
        }
        let mut child = self.spawn()?;
        match self.wait_until_ready(&mut child) {
            Ok(()) => {
                *vm = Some(child);
                Ok(())
            }
            Err(error) => {
                child.kill().ok();
                child.wait().ok();
                Err(anyhow::anyhow!(
                    "starting RabbitMQ node {}: {error:#}; its output ends with:\n{}",
                    self.node,
                    self.console_tail()
                ))
            }
        }
    }

    fn spawn(&self) -> anyhow::Result<Child> {
        let path = |name: &str| self.dir.join(name);
        let console = OpenOptions::new()
            .create(true)
            .append(true)
            .open(path("console.log"))
            .context("opening the node's console log")?;
        let mut command = Command::new(SERVER);
        command
            // `-noinput`: no Erlang shell on stdin; `+Bd`: SIGINT (Ctrl-C on the test run)
            // stops the VM instead of opening the break menu.
            .args(["-noinput", "+Bd"])
            .env_clear()
            .env(
                "PATH",
                std::env::var_os("PATH").unwrap_or_else(|| "/usr/sbin:/usr/bin:/sbin:/bin".into()),
            )
            .env("LANG", "C.UTF-8")
            // Erlang keeps its cookie in $HOME: a fresh one here, not the shared node's.
            .env("HOME", &self.dir)
            .env("RABBITMQ_CONF_ENV_FILE", path("rabbitmq-env.conf"))
            .env("RABBITMQ_NODENAME", &self.node)
            .env("RABBITMQ_CONFIG_FILE", path("rabbitmq.conf"))
            .env("RABBITMQ_ADVANCED_CONFIG_FILE", path("advanced.config"))
            .env("RABBITMQ_CONFIG_FILES", path("conf.d"))
            .env("RABBITMQ_ENABLED_PLUGINS_FILE", path("enabled_plugins"))
            .env("RABBITMQ_MNESIA_BASE", path("mnesia"))
            .env("RABBITMQ_LOG_BASE", path("log"))
            .env("RABBITMQ_PID_FILE", path("pid"))
            .env("RABBITMQ_DIST_PORT", self.dist_port.to_string())
            .env(
                "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS",
                "-kernel inet_dist_use_interface {127,0,0,1}",
            )
            .env("ERL_EPMD_ADDRESS", "127.0.0.1")
            // Exec the VM rather than run it under a shell: the child is `beam.smp`.
            .env("RABBITMQ_ALLOW_INPUT", "true")
            .current_dir(&self.dir)
            .stdin(Stdio::null())
            .stdout(console.try_clone()?)
            .stderr(console);
        if let Some((uid, gid)) = rabbitmq_user()? {
            command.uid(uid).gid(gid);
        }
        command
            .spawn()
            .with_context(|| format!("running {SERVER} (is rabbitmq-server installed?)"))
    }

    /// Polls, up to [`STARTUP`], until the node accepts an AMQP connection as `guest`;
    /// fails at once if the VM exits. Probes run on a runtime of their own, on a thread
    /// of their own, so this works inside a test's runtime as well as outside one.
    fn wait_until_ready(&self, child: &mut Child) -> anyhow::Result<()> {
        let bus = crate::bus::Bus::new(self.amqp());
        std::thread::scope(|scope| {
            scope
                .spawn(|| {
                    let runtime = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                        .context("building the readiness probe's runtime")?;
                    let deadline = Instant::now() + STARTUP;
                    loop {
                        if let Some(status) = child.try_wait()? {
                            bail!("the node exited during start-up ({status})");
                        }
                        let ready = runtime
                            .block_on(async { tokio::time::timeout(PROBE, bus.ping()).await })
                            .unwrap_or(false);
                        if ready {
                            return self.check_vm(child);
                        }
                        if Instant::now() > deadline {
                            bail!("no AMQP connection accepted within {STARTUP:?}");
                        }
                        std::thread::sleep(Duration::from_millis(250));
                    }
                })
                .join()
                .unwrap_or_else(|_| Err(anyhow::anyhow!("the readiness probe panicked")))
        })
    }

    /// Checks the child is the VM itself, as the node records it: if the script ever kept
    /// a shell in between, `kill` would leave the node running.
    fn check_vm(&self, child: &Child) -> anyhow::Result<()> {
        let recorded =
            std::fs::read_to_string(self.dir.join("pid")).context("reading the node's pid file")?;
        if recorded.trim() != child.id().to_string() {
            bail!(
                "the node runs as process {}, not as its child {}",
                recorded.trim(),
                child.id()
            );
        }
        Ok(())
    }

    fn console_tail(&self) -> String {
        let console = std::fs::read_to_string(self.dir.join("console.log")).unwrap_or_default();
        let lines: Vec<&str> = console.lines().collect();
        lines[lines.len().saturating_sub(20)..].join("\n")
    }
}

impl Drop for Broker {
    fn drop(&mut self) {
        self.kill().ok();
        std::fs::remove_dir_all(&self.dir).ok();
    }
}

/// The `rabbitmq` user's ids when running as root (the node then runs as that user, as
/// the packaged one does); `None` otherwise.
fn rabbitmq_user() -> anyhow::Result<Option<(u32, u32)>> {
    let id = |args: &[&str]| -> anyhow::Result<u32> {
        let output = Command::new("id")
            .args(args)
            .output()
            .with_context(|| format!("running id {args:?}"))?;
        if !output.status.success() {
            bail!(
                "id {args:?} failed: {}",
                String::from_utf8_lossy(&output.stderr)
            );
        }
        String::from_utf8_lossy(&output.stdout)
            .trim()
            .parse()
            .with_context(|| format!("reading the output of id {args:?}"))
    };
    if id(&["-u"])? != 0 {
        return Ok(None);
    }
    Ok(Some((id(&["-u", "rabbitmq"])?, id(&["-g", "rabbitmq"])?)))
}

/// Two distinct free ports, held at once so the system cannot hand out the same one twice.
fn two_free_ports() -> anyhow::Result<(u16, u16)> {
    let first = std::net::TcpListener::bind("127.0.0.1:0")?;
    let second = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok((first.local_addr()?.port(), second.local_addr()?.port()))
}
