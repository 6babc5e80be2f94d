//! Starts the notifications service: configuration, telemetry, then the application
//! until Ctrl-C or SIGTERM.

use guichet_kit::{Clock, config, shutdown, telemetry};
use guichet_notifications::{Application, Settings};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let settings: Settings = config::load_service("notifications", 50055)?;
    let _telemetry = telemetry::init("notifications", &settings.service.telemetry)?;
    let app = Application::build(settings, Clock::system()).await?;
    app.run(shutdown::signal()).await
}
