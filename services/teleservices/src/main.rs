//! Starts the teleservices service until Ctrl-C or SIGTERM.

use guichet_kit::{config, shutdown, telemetry};
use guichet_teleservices::{Application, Settings};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let settings: Settings = config::load_service("teleservices", 50052)?;
    let _telemetry = telemetry::init("teleservices", &settings.telemetry)?;
    let app = Application::build(settings).await?;
    app.run(shutdown::signal()).await
}
