//! The reference implementation of the central anomaly API (SPEC §5, §6 anomaly-sink).
//!
//! It serves `POST` and `GET /api/v1/edge/anomalies` and `GET /healthz`, checks bearer
//! tokens from a tokens file, honours `Idempotency-Key`, validates submissions and stores
//! them in SQLite. It lets the whole product run on one machine: in tests, in benchmarks and
//! at sites without a cloud API. [`Sink::start`] runs it in-process (port 0 works, for
//! tests); the `anomaly-sink` binary wires flags, signals and logging around it.
//!
//! A key design decision of this crate is that **an anomaly is acknowledged only once it is
//! on disk**: SQLite in WAL mode with `synchronous=FULL`, one write transaction per
//! submission, and the answer sent after the commit. An edge device that got a 2xx may
//! delete its spooled copy, and nothing is lost to a crash or power cut. The cost is one disk
//! sync per submission, which bounds write throughput by the disk's sync latency (see
//! docs/API.md for the measured figures); blocking worker threads (tiny_http) rather than an
//! async runtime keep the build small and the code plain, at the cost of one thread per
//! concurrent request.
#![deny(missing_docs)]

mod anomaly;
mod api;
mod store;
mod tokens;

pub use anomaly::{NewAnomaly, ValidationError};
pub use api::{ANOMALIES_PATH, HEALTH_PATH, parse_query};
pub use store::{
    AnomalyQuery, DEFAULT_PAGE_SIZE, Insertion, MAX_PAGE_SIZE, QueryPage, SCHEMA_VERSION,
    SortDirection, Store, StoreError,
};
pub use tokens::{Tokens, TokensError};

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

/// The default limit on a request body: 1 MiB.
pub const DEFAULT_MAX_BODY_BYTES: usize = 1024 * 1024;

/// The default number of worker threads.
pub const DEFAULT_THREADS: usize = 4;

/// How long an idle worker waits for a request before it checks for shutdown.
const POLL_INTERVAL: Duration = Duration::from_millis(50);

/// Settings of a sink.
#[derive(Debug, Clone)]
pub struct SinkConfig {
    /// Address to listen on; port 0 picks a free port (see [`RunningSink::addr`]).
    pub listen: SocketAddr,
    /// The SQLite database file; created with its schema on first start.
    pub db_path: PathBuf,
    /// The accepted bearer tokens (Debug shows only their count).
    pub tokens: Tokens,
    /// Larger request bodies are refused with 413.
    pub max_body_bytes: usize,
    /// Worker threads, each with its own database connection.
    pub threads: usize,
}

impl SinkConfig {
    /// A configuration with the default body limit and thread count.
    pub fn new(listen: SocketAddr, db_path: impl Into<PathBuf>, tokens: Tokens) -> SinkConfig {
        SinkConfig {
            listen,
            db_path: db_path.into(),
            tokens,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            threads: DEFAULT_THREADS,
        }
    }
}

/// Why the sink could not start.
#[derive(Debug, thiserror::Error)]
pub enum SinkError {
    /// No token is configured: every request would be refused.
    #[error("no bearer token is configured: every request would be refused")]
    NoTokens,
    /// The database could not be opened.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The address could not be bound.
    #[error("cannot listen on {addr}: {reason} — is another server using the port?")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// What the system said.
        reason: String,
    },
    /// A worker thread could not be started.
    #[error("cannot start a worker thread: {0}")]
    Spawn(#[source] std::io::Error),
}

impl SinkError {
    /// True when the operator's settings are at fault (exit code 4), rather than the
    /// environment (port taken, out of threads).
    pub fn is_configuration(&self) -> bool {
        matches!(
            self,
            SinkError::NoTokens
                | SinkError::Store(StoreError::Open { .. } | StoreError::NewerSchema { .. })
        )
    }
}

/// Starts sinks; see [`Sink::start`].
#[derive(Debug)]
pub struct Sink;

impl Sink {
    /// Opens the database (creating the schema on first start), binds the address and starts
    /// the worker threads. The sink serves until [`RunningSink::shutdown`] or drop.
    pub fn start(config: SinkConfig) -> Result<RunningSink, SinkError> {
        if config.tokens.is_empty() {
            return Err(SinkError::NoTokens);
        }
        let threads = config.threads.max(1);
        // Every connection is opened before the first request is accepted, so a bad database
        // fails the start rather than a request.
        let stores = (0..threads)
            .map(|_| Store::open(&config.db_path))
            .collect::<Result<Vec<_>, _>>()?;
        let server = tiny_http::Server::http(config.listen).map_err(|e| SinkError::Bind {
            addr: config.listen,
            reason: e.to_string(),
        })?;
        let addr = server.server_addr().to_ip().unwrap_or(config.listen);
        let server = Arc::new(server);
        let stopping = Arc::new(AtomicBool::new(false));
        let tokens = Arc::new(config.tokens);
        let write_gate = Arc::new(std::sync::Mutex::new(()));
        let mut running = RunningSink {
            addr,
            server: Some(Arc::clone(&server)),
            stopping: Arc::clone(&stopping),
            workers: Vec::with_capacity(threads),
        };
        for (n, store) in stores.into_iter().enumerate() {
            let mut worker = api::Worker {
                store,
                tokens: Arc::clone(&tokens),
                max_body_bytes: config.max_body_bytes,
                write_gate: Arc::clone(&write_gate),
            };
            let server = Arc::clone(&server);
            let stopping = Arc::clone(&stopping);
            let handle = std::thread::Builder::new()
                .name(format!("sink-worker-{n}"))
                .spawn(move || serve(&server, &stopping, &mut worker))
                .map_err(SinkError::Spawn)?;
            running.workers.push(handle);
        }
        Ok(running)
    }
}

fn serve(server: &tiny_http::Server, stopping: &AtomicBool, worker: &mut api::Worker) {
    while !stopping.load(Ordering::SeqCst) {
        match server.recv_timeout(POLL_INTERVAL) {
            Ok(Some(request)) => worker.handle(request),
            Ok(None) => {}
            Err(e) => {
                tracing::warn!(error = %e, "could not receive a request");
                std::thread::sleep(POLL_INTERVAL);
            }
        }
    }
    // Requests already received are answered before the worker ends.
    while let Ok(Some(request)) = server.try_recv() {
        worker.handle(request);
    }
}

/// A sink that is serving. Dropping it shuts it down too.
pub struct RunningSink {
    addr: SocketAddr,
    server: Option<Arc<tiny_http::Server>>,
    stopping: Arc<AtomicBool>,
    workers: Vec<JoinHandle<()>>,
}

impl std::fmt::Debug for RunningSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunningSink")
            .field("addr", &self.addr)
            .field("workers", &self.workers.len())
            .finish_non_exhaustive()
    }
}

impl RunningSink {
    /// The address the sink listens on (the real port when 0 was asked for).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The API's base URL, e.g. `http://127.0.0.1:8080/api/v1`.
    pub fn base_url(&self) -> String {
        format!("http://{}/api/v1", self.addr)
    }

    /// Stops accepting requests, answers those already received, waits for the workers and
    /// closes the database. Every acknowledged anomaly was committed before its answer.
    pub fn shutdown(mut self) {
        self.stop();
    }

    fn stop(&mut self) {
        self.stopping.store(true, Ordering::SeqCst);
        for worker in self.workers.drain(..) {
            if worker.join().is_err() {
                tracing::error!("a worker thread panicked");
            }
        }
        // The last reference: dropping it closes the listening socket.
        self.server.take();
    }
}

impl Drop for RunningSink {
    fn drop(&mut self) {
        self.stop();
    }
}
