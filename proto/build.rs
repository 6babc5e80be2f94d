//! Generates Rust code for every `.proto` under `guichet/`, plus one file descriptor set
//! that the services hand to gRPC reflection.

use std::{env, error::Error, path::PathBuf};

fn main() -> Result<(), Box<dyn Error>> {
    // A vendored protoc means a fresh machine needs nothing installed to build.
    if env::var_os("PROTOC").is_none() {
        let protoc = protoc_bin_vendored::protoc_bin_path()?;
        // Edition 2024 makes set_var unsafe; pass the path through the builder instead.
        return build(Some(protoc));
    }
    build(None)
}

fn build(protoc: Option<PathBuf>) -> Result<(), Box<dyn Error>> {
    let out = PathBuf::from(env::var("OUT_DIR")?);
    let protos = [
        "guichet/demand/v1/demand.proto",
        "guichet/complaints/v1/complaints.proto",
        "guichet/events/v1/events.proto",
        "guichet/notifications/v1/notifications.proto",
        "guichet/identity/v1/keys.proto",
        "guichet/identity/v1/identity.proto",
        "guichet/identity/v1/links.proto",
        "guichet/privacy/v1/privacy.proto",
        "guichet/rapo/v1/rapo.proto",
        "guichet/teleservices/v1/teleservices.proto",
    ];
    let mut config = tonic_prost_build::Config::new();
    // Events are decoded by name: `prost::Name` lets the bus check the body type.
    config.enable_type_names();
    if let Some(protoc) = protoc {
        config.protoc_executable(protoc);
    }
    tonic_prost_build::configure()
        .file_descriptor_set_path(out.join("guichet_descriptor.bin"))
        .compile_with_config(config, &protos, &["."])?;
    for proto in protos {
        println!("cargo:rerun-if-changed={proto}");
    }
    Ok(())
}
