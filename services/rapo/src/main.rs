//! Starts the rapo service: configuration, telemetry, then the application until
//! Ctrl-C or SIGTERM.

use guichet_kit::{Clock, config, shutdown, telemetry};
use guichet_rapo::{Application, Settings};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let settings: Settings = config::load_service("rapo", 50054)?;
    let _telemetry = telemetry::init("rapo", &settings.service.telemetry)?;
    let app = Application::build(settings, Clock::system()).await?;
    app.run(shutdown::signal()).await
}
