//! Starts the complaints service: configuration, telemetry, then the application until
//! Ctrl-C or SIGTERM.

use guichet_complaints::{Application, Settings};
use guichet_kit::{Clock, config, shutdown, telemetry};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let settings: Settings = config::load_service("complaints", 50053)?;
    let _telemetry = telemetry::init("complaints", &settings.service.telemetry)?;
    let app = Application::build(settings, Clock::system()).await?;
    app.run(shutdown::signal()).await
}
