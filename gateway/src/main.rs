//! Starts the gateway: configuration, telemetry, then HTTP until Ctrl-C or SIGTERM.

use guichet_gateway::{Application, Settings};
use guichet_kit::{config, shutdown, telemetry};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let settings: Settings = config::load()?;
    let _telemetry = telemetry::init("gateway", &settings.telemetry)?;
    let app = Application::build(settings).await?;
    app.run(shutdown::signal()).await
}
