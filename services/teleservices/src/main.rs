//! Starts the teleservices service: configuration, telemetry, then the application
//! until Ctrl-C or SIGTERM.

use guichet_kit::{Clock, config, shutdown, telemetry};
use guichet_teleservices::{Application, Settings};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let settings: Settings = config::load_service("teleservices", 50052)?;
    let _telemetry = telemetry::init("teleservices", &settings.telemetry)?;
    let app = Application::build(settings, Clock::system()).await?;
    app.run(shutdown::signal()).await
}
