//! Starts the rapo service until Ctrl-C or SIGTERM.

use guichet_kit::{config, shutdown, telemetry};
use guichet_rapo::{Application, Settings};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let settings: Settings = config::load_service("rapo", 50054)?;
    let _telemetry = telemetry::init("rapo", &settings.telemetry)?;
    let app = Application::build(settings).await?;
    app.run(shutdown::signal()).await
}
