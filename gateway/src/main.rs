//! Starts the gateway: configuration, telemetry, then HTTP until Ctrl-C or SIGTERM.
//! `guichet-gateway openapi` prints the API's OpenAPI document instead, for the front
//! end's build, which generates its client types from it.

use guichet_gateway::{Application, Settings};
use guichet_kit::{config, shutdown, telemetry};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    if std::env::args().nth(1).as_deref() == Some("openapi") {
        use std::io::Write as _;
        let document = guichet_gateway::openapi().to_pretty_json()?;
        writeln!(std::io::stdout().lock(), "{document}")?;
        return Ok(());
    }
    let settings: Settings = config::load()?;
    let _telemetry = telemetry::init("gateway", &settings.telemetry)?;
    let app = Application::build(settings).await?;
    app.run(shutdown::signal()).await
}
