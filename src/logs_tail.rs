//! Owns reading an endpoint's CloudWatch Logs for the logs view: one read per request
//! (optionally the stream list first), answered as a [`LogsFetched`] the runtime maps onto the
//! console's action. The view asks for the next read only after the previous one answered, so
//! reads never overlap; pacing and backoff are the view's (`app::logs_view`).

use std::sync::Arc;

use tokio::task::JoinSet;

use crate::boundary::{BackendError, SharedBackend};
use crate::clock::SharedClock;
use crate::domain::*;
use crate::emit::Emitter;

/// One read of the logs view.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogsRequest {
    /// The view's generation when it asked (a filter or stream change starts a new one).
    pub generation: u64,
    pub query: LogQuery,
    /// List the streams too (for the stream picker).
    pub streams: bool,
}

/// What came back for a [`LogsRequest`].
#[derive(Debug, Clone, PartialEq)]
pub struct LogsFetched {
    pub generation: u64,
    pub at: Timestamp,
    pub streams: Option<Result<Vec<LogStream>, BackendError>>,
    pub events: Result<LogPage, BackendError>,
}

/// Runs the reads; each answer is emitted as a [`LogsFetched`] event.
pub struct LogsTail {
    backend: SharedBackend,
    clock: SharedClock,
    emit: Emitter<LogsFetched>,
    tasks: JoinSet<()>,
}

impl LogsTail {
    pub fn new(
        backend: SharedBackend,
        clock: SharedClock,
        emit: impl Into<Emitter<LogsFetched>>,
    ) -> Self {
        LogsTail {
            backend,
            clock,
            emit: emit.into(),
            tasks: JoinSet::new(),
        }
    }

    pub fn fetch(&mut self, request: LogsRequest) {
        while self.tasks.try_join_next().is_some() {}
        let backend = Arc::clone(&self.backend);
        let clock = Arc::clone(&self.clock);
        let emit = self.emit.clone();
        self.tasks.spawn(async move {
            let fetched = read(backend.as_ref(), &clock, request).await;
            let _ = emit.send(fetched).await;
        });
    }

    /// Stops reads in flight (no task outlives the console).
    pub async fn shutdown(mut self) {
        self.tasks.abort_all();
        while self.tasks.join_next().await.is_some() {}
    }
}

/// One read: the streams when asked, then the events.
pub async fn read(
    backend: &dyn crate::boundary::Backend,
    clock: &SharedClock,
    request: LogsRequest,
) -> LogsFetched {
    let streams = if request.streams {
        Some(backend.list_log_streams(&request.query.endpoint).await)
    } else {
        None
    };
    let events = backend.filter_log_events(&request.query).await;
    LogsFetched {
        generation: request.generation,
        at: clock.now(),
        streams,
        events,
    }
}
