//! Starts the identity service until Ctrl-C or SIGTERM.

use guichet_identity::{Application, Settings};
use guichet_kit::{config, shutdown, telemetry};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let settings: Settings = config::load_service("identity", 50051)?;
    let _telemetry = telemetry::init("identity", &settings.telemetry)?;
    let app = Application::build(settings).await?;
    app.run(shutdown::signal()).await
}
