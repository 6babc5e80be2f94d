//! Starts the complaints service: configuration, telemetry, then the application until
//! Ctrl-C or SIGTERM.

use guichet_complaints::{Application, Settings, Tuning};
use guichet_kit::{Clock, config, shutdown, telemetry};

/// The shared service settings and the `[complaints]` section.
#[derive(serde::Deserialize)]
struct Configuration {
    #[serde(flatten)]
    service: Settings,
    #[serde(default)]
    complaints: Tuning,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let Configuration {
        service: settings,
        complaints,
    } = config::load_service("complaints", 50053)?;
    let _telemetry = telemetry::init("complaints", &settings.telemetry)?;
    let app = Application::build(settings, Clock::system())
        .await?
        .with_tuning(complaints);
    app.run(shutdown::signal()).await
}
