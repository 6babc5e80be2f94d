//! Starts the identity service until Ctrl-C or SIGTERM.

use guichet_identity::{Application, Settings};
use guichet_kit::{Clock, config, shutdown, telemetry};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let settings: Settings = config::load_service("identity", 50051)?;
    let _telemetry = telemetry::init("identity", &settings.service.telemetry)?;
    let app = Application::build(settings, Clock::system()).await?;
    app.run(shutdown::signal()).await
}
