//! Owns the load engine's threads: one single-threaded tokio runtime per thread, each driven
//! until the run ends, so that a worker's connection, timers and socket readiness stay on the
//! thread it was spawned on.

use tokio::runtime::{Handle, Runtime};
use tokio::sync::oneshot;

/// The engine's threads; [`Pool::stop`] ends them (dropping a `Pool` does too).
pub struct Pool {
    stops: Vec<oneshot::Sender<()>>,
    threads: Vec<std::thread::JoinHandle<()>>,
}

impl Pool {
    /// Ends every thread's runtime (tasks still on it are dropped) and waits for the threads.
    pub fn stop(mut self) {
        self.stops.clear();
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}

/// A single-threaded runtime with timers and sockets.
pub fn current_thread() -> Result<Runtime, String> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())
}

/// `n` threads, each driving a runtime of its own; their handles to spawn workers on.
pub fn engine_threads(n: usize) -> Result<(Pool, Vec<Handle>), String> {
    let mut pool = Pool {
        stops: Vec::with_capacity(n),
        threads: Vec::with_capacity(n),
    };
    let mut handles = Vec::with_capacity(n);
    for i in 0..n.max(1) {
        let rt = current_thread()?;
        handles.push(rt.handle().clone());
        let (stop, stopped) = oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name(format!("sagetop-load-{i}"))
            .spawn(move || {
                let _ = rt.block_on(stopped);
                rt.shutdown_timeout(std::time::Duration::from_secs(1));
            })
            .map_err(|e| e.to_string())?;
        pool.stops.push(stop);
        pool.threads.push(thread);
    }
    Ok((pool, handles))
}
