//! Failed logins slow an account down whatever address they come from: someone guessing
//! one resident's password from ever new addresses (a botnet, rotating proxies) waits
//! like someone guessing from one, and every refusal tells the true wait. Through gRPC,
//! so each attempt can say it comes from another address, on a clock the test moves.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly

use std::time::Duration;

use guichet_identity::{Application, Settings};
use guichet_kit::{
    Clock,
    config::{ServerConfig, ServiceSettings},
    grpc::{self, TracedChannel},
    testing,
};
use guichet_proto::identity::v1::{
    Client, LoginRequest, SignUpRequest, accounts_client::AccountsClient,
};
use tokio_util::sync::{CancellationToken, DropGuard};
use tonic::Code;
use tonic_types::StatusExt as _;

const EMAIL: &str = "jeanne@example.org";
const PASSWORD: &str = "une phrase de passe solide";

struct Identity {
    accounts: AccountsClient<TracedChannel>,
    /// Stops the service when the test ends.
    _stop: DropGuard,
}

async fn start(hint: &str, clock: Clock) -> Identity {
    testing::init_logs();
    let settings = Settings {
        service: ServiceSettings {
            database: testing::database(hint),
            amqp: testing::vhost(hint).await.unwrap(),
            grpc: ServerConfig::on_port(0),
            ..ServiceSettings::default()
        },
        ..Settings::default()
    };
    let app = Application::build(settings, clock).await.unwrap();
    let channel = grpc::connect_lazy(&format!("http://127.0.0.1:{}", app.port())).unwrap();
    let stop = CancellationToken::new();
    tokio::spawn(app.run(stop.clone().cancelled_owned()));
    Identity {
        accounts: AccountsClient::new(channel),
        _stop: stop.drop_guard(),
    }
}

impl Identity {
    async fn login(&self, password: &str, address: &str) -> Result<(), tonic::Status> {
        self.accounts
            .clone()
            .login(LoginRequest {
                email: EMAIL.to_owned(),
                password: password.to_owned(),
                client: Some(Client {
                    address: address.to_owned(),
                    ..Client::default()
                }),
            })
            .await
            .map(drop)
    }
}

/// The wait a refusal tells (`google.rpc.RetryInfo`).
fn wait(refused: &tonic::Status) -> Duration {
    assert_eq!(refused.code(), Code::ResourceExhausted, "{refused:?}");
    refused
        .get_details_retry_info()
        .and_then(|info| info.retry_delay)
        .expect("a refusal says how long to wait")
}

#[tokio::test]
async fn failed_logins_on_one_account_are_throttled_whatever_the_address() {
    let clock = Clock::manual(chrono::Utc::now());
    let identity = start("throttle_acct", clock.clone()).await;
    identity
        .accounts
        .clone()
        .sign_up(SignUpRequest {
            email: EMAIL.to_owned(),
            password: PASSWORD.to_owned(),
            ..SignUpRequest::default()
        })
        .await
        .unwrap();

    // Five wrong passwords, each from a new address: no address ever failed twice.
    for n in 1..=5 {
        let refused = identity
            .login("mauvais mot de passe", &format!("203.0.113.{n}"))
            .await
            .unwrap_err();
        assert_eq!(refused.code(), Code::Unauthenticated, "attempt {n}");
    }
    // The account now waits a minute, from any address, even with the right password.
    let refused = identity.login(PASSWORD, "198.51.100.7").await.unwrap_err();
    assert_eq!(wait(&refused), Duration::from_secs(60));
    // The wait told is what is left of it.
    clock.advance(chrono::Duration::seconds(25));
    let refused = identity.login(PASSWORD, "198.51.100.8").await.unwrap_err();
    assert_eq!(wait(&refused), Duration::from_secs(35));
    // Once it is over, the right password signs in, from yet another address.
    clock.advance(chrono::Duration::seconds(35));
    identity.login(PASSWORD, "192.0.2.44").await.unwrap();
}
