//! How a service reports to whoever runs it: an `Emitter<E>` sends the service's own event
//! type `E`. The runtime builds one from its `Action` channel (`Action: From<E>`), so services
//! never name `app::Action` and events keep their order and the channel's backpressure.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use tokio::sync::mpsc;

/// How loud a message a service asks the console to show is (the footer's colour).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum NoticeLevel {
    Info,
    Warning,
    Error,
}

/// The receiving side is gone (the console is shutting down).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Closed;

type SendFn<E> =
    dyn Fn(E) -> Pin<Box<dyn Future<Output = Result<(), Closed>> + Send>> + Send + Sync;

/// Sends a service's events, converted on the way into the receiver's message type.
pub struct Emitter<E> {
    send: Arc<SendFn<E>>,
}

impl<E> Clone for Emitter<E> {
    fn clone(&self) -> Self {
        Emitter {
            send: Arc::clone(&self.send),
        }
    }
}

impl<E: Send + 'static> Emitter<E> {
    /// Events go to `tx`, each converted with `A::from`.
    pub fn new<A>(tx: mpsc::Sender<A>) -> Self
    where
        A: From<E> + Send + 'static,
    {
        Emitter {
            send: Arc::new(move |event: E| {
                let tx = tx.clone();
                Box::pin(async move { tx.send(A::from(event)).await.map_err(|_| Closed) })
            }),
        }
    }

    /// An emitter of another service's events `D`, converted into this one's with `f` (a
    /// service that runs another one hands it this).
    pub fn map<D: Send + 'static>(&self, f: impl Fn(D) -> E + Send + Sync + 'static) -> Emitter<D> {
        let inner = self.clone();
        Emitter {
            send: Arc::new(move |event: D| {
                let inner = inner.clone();
                let event = f(event);
                Box::pin(async move { inner.send(event).await })
            }),
        }
    }

    /// Sends one event; waits while the receiver's channel is full.
    pub async fn send(&self, event: E) -> Result<(), Closed> {
        (self.send)(event).await
    }
}

impl<E, A> From<mpsc::Sender<A>> for Emitter<E>
where
    E: Send + 'static,
    A: From<E> + Send + 'static,
{
    fn from(tx: mpsc::Sender<A>) -> Self {
        Emitter::new(tx)
    }
}

impl<E> std::fmt::Debug for Emitter<E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Emitter")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq)]
    enum Outer {
        Count(u32),
    }
    impl From<u32> for Outer {
        fn from(n: u32) -> Self {
            Outer::Count(n)
        }
    }

    #[tokio::test]
    async fn events_arrive_converted_and_in_order() {
        let (tx, mut rx) = mpsc::channel::<Outer>(4);
        let emit: Emitter<u32> = tx.into();
        emit.send(1).await.unwrap();
        emit.clone().send(2).await.unwrap();
        assert_eq!(rx.recv().await, Some(Outer::Count(1)));
        assert_eq!(rx.recv().await, Some(Outer::Count(2)));
        drop(rx);
        assert_eq!(emit.send(3).await, Err(Closed));
    }
}
