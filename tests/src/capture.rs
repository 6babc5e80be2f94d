//! Everything the platform logs and traces, captured in memory: the whole platform runs
//! in the test process, so one global subscriber sees every service.

use std::{
    io::Write,
    sync::{Arc, Mutex},
};

use tracing_subscriber::fmt::format::FmtSpan;

/// The captured text, shared with the subscriber's writer.
#[derive(Clone, Default)]
pub struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Capture {
    /// Installs the process's global subscriber: every Guichet event at TRACE, and every
    /// span with its fields when it closes (once per test binary).
    pub fn install() -> Self {
        let capture = Self::default();
        let writer = capture.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new(
                "trace,h2=info,hyper=info,hyper_util=info,tower=info,sqlx=info,lapin=info,\
                 amq_protocol=info,rustls=info,tokio=info,runtime=info,want=info,mio=info,\
                 reqwest=info",
            ))
            .with_span_events(FmtSpan::CLOSE)
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .finish();
        tracing::subscriber::set_global_default(subscriber)
            .unwrap_or_else(|_| panic!("a global subscriber was already installed"));
        capture
    }

    /// What was captured so far.
    pub fn text(&self) -> String {
        let bytes = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        String::from_utf8_lossy(&bytes).into_owned()
    }
}
