//! The interactive console: terminal setup and restore, the event loop that feeds `update`,
//! redraws only when something changed (at most ~30 frames a second), and clean shutdown.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use crossterm::event::{Event, EventStream};
use futures::StreamExt;
use tokio::sync::mpsc;

use crate::app::{Action, AppState, Command, NoticeLevel, update};
use crate::boundary::SharedBackend;
use crate::clock::SharedClock;
use crate::effects::Effects;
use crate::poll::PollIntervals;
use crate::theme::Theme;

/// Shortest time between two frames (about 30 frames a second).
const FRAME_INTERVAL: Duration = Duration::from_millis(33);

/// How often time-dependent labels (ages) are re-evaluated.
const TICK_INTERVAL: Duration = Duration::from_millis(250);

/// Everything the console needs to run.
pub struct Console {
    pub backend: SharedBackend,
    pub clock: SharedClock,
    pub state: AppState,
    pub theme: Theme,
    /// Capture the mouse (off by default: terminals keep text selection).
    pub mouse: bool,
    pub intervals: PollIntervals,
    pub seed: u64,
    pub log_path: Option<PathBuf>,
    /// Audit log and session facts of the write path.
    pub writes: crate::write::WriteSetup,
    /// How to connect again for `:profile` / `:region` (`None` on the simulated account).
    pub reconnect: Option<Reconnector>,
    /// Where the console's load runs send signed InvokeEndpoint requests.
    pub loads: crate::load::console::LoadSetup,
    /// Several accounts or regions (`--profile a,b --region x,y`, `[fleet]`): each context's
    /// own services, used instead of `backend`, `writes` and `loads`. Empty: one context.
    pub contexts: Vec<crate::ctx_effects::ContextConn>,
}

/// A backend connected for `:profile` / `:region`, with what goes with it.
pub struct NewConnection {
    pub backend: SharedBackend,
    pub session: crate::app::state::SessionInfo,
    pub writes: crate::write::WriteSetup,
    pub production: bool,
    pub loads: crate::load::console::LoadSetup,
}

/// Connects with (profile, region), the current ones where `None`.
pub type Reconnector = std::sync::Arc<
    dyn Fn(
            Option<String>,
            Option<String>,
        ) -> futures::future::BoxFuture<'static, Result<NewConnection, String>>
        + Send
        + Sync,
>;

/// Everything that talks to the backend; started again when the backend changes.
struct Services {
    effects: Effects,
    /// The backend whose call accounting `:api` shows.
    accounting: SharedBackend,
}

impl Services {
    fn start(
        backend: SharedBackend,
        clock: &SharedClock,
        intervals: PollIntervals,
        seed: u64,
        writes: crate::write::WriteSetup,
        loads: crate::load::console::LoadSetup,
        tx: &mpsc::Sender<Action>,
    ) -> Services {
        Services {
            accounting: backend.clone(),
            effects: Effects::start(backend, clock, intervals, seed, writes, loads, tx),
        }
    }

    /// Stops pollers and pagers, lets writes already sent finish, stops a load run.
    async fn shutdown(self) {
        self.effects.shutdown().await;
    }
}

/// One context's services, or every context's.
enum Running {
    One(Box<Services>),
    Many(crate::ctx_effects::ContextEffects),
}

impl Running {
    async fn run(&mut self, cmd: Command) -> Option<Command> {
        match self {
            Running::One(s) => s.effects.run(cmd).await,
            Running::Many(m) => m.run(cmd).await,
        }
    }

    /// The call accounting for `:api`: the one backend's, or each context's.
    fn api_stats(&self) -> Vec<Action> {
        match self {
            Running::One(s) => vec![Action::ApiStats(s.accounting.api_stats())],
            Running::Many(m) => m.api_stats(),
        }
    }

    async fn shutdown(self) {
        match self {
            Running::One(s) => s.shutdown().await,
            Running::Many(m) => m.shutdown().await,
        }
    }
}

/// How the console ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunSummary {
    pub redraws: u64,
}

/// Runs the console until the user quits or a termination signal arrives.
/// The terminal is restored on every exit path, including panics.
pub async fn run(console: Console) -> std::io::Result<RunSummary> {
    let Console {
        backend,
        clock,
        mut state,
        mut theme,
        mouse,
        intervals,
        seed,
        log_path,
        writes,
        reconnect,
        loads,
        contexts,
    } = console;
    let mut terminal = ratatui::try_init()?;
    if mouse {
        crossterm::execute!(std::io::stdout(), crossterm::event::EnableMouseCapture)?;
    }
    install_panic_note(log_path);
    let size = terminal.size()?;
    update(
        &mut state,
        Action::Resize(size.width, size.height),
        clock.now(),
    );

    let (tx, mut rx) = mpsc::channel::<Action>(256);
    let mut services = if contexts.is_empty() {
        Running::One(Box::new(Services::start(
            backend,
            &clock,
            intervals.clone(),
            seed,
            writes,
            loads,
            &tx,
        )))
    } else {
        Running::Many(crate::ctx_effects::ContextEffects::start(
            contexts,
            &clock,
            intervals.clone(),
            seed,
            &tx,
        ))
    };
    let (connected_tx, mut connected_rx) = mpsc::channel::<Result<NewConnection, String>>(1);
    let mut events = EventStream::new();
    let mut tick = tokio::time::interval(TICK_INTERVAL);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut signals = Signals::new();
    let mut redraws: u64 = 0;
    let mut last_draw: Option<Instant> = None;

    loop {
        if state.dirty {
            let ready = last_draw.is_none_or(|t| t.elapsed() >= FRAME_INTERVAL);
            if ready {
                terminal.draw(|f| crate::ui::render(f, &state, &theme))?;
                state.dirty = false;
                redraws += 1;
                last_draw = Some(Instant::now());
            }
        }
        let frame_due = last_draw.map_or(Duration::ZERO, |t| {
            FRAME_INTERVAL.saturating_sub(t.elapsed())
        });
        let action = tokio::select! {
            ev = events.next() => match ev {
                Some(Ok(Event::Key(key))) => Some(Action::Key(key)),
                Some(Ok(Event::Resize(w, h))) => Some(Action::Resize(w, h)),
                Some(Ok(_)) => None,
                Some(Err(e)) => {
                    tracing::error!(error = %e, "terminal input failed");
                    Some(Action::ForceQuit)
                }
                None => Some(Action::ForceQuit),
            },
            msg = rx.recv() => msg,
            _ = tick.tick() => {
                // The `:api` view shows the backend's accounting, read fresh every tick.
                if state.view == crate::app::View::Api {
                    for stats in services.api_stats() {
                        update(&mut state, stats, clock.now());
                    }
                }
                Some(Action::Tick)
            }
            _ = tokio::time::sleep(frame_due), if state.dirty => None,
            Some(result) = connected_rx.recv() => match result {
                Ok(conn) => {
                    let fresh = Services::start(conn.backend, &clock, intervals.clone(), seed, conn.writes, conn.loads, &tx);
                    let old = std::mem::replace(&mut services, Running::One(Box::new(fresh)));
                    old.shutdown().await;
                    // Whatever the old services sent is about the old account: drop it.
                    while let Ok(stale) = rx.try_recv() {
                        tracing::debug!(?stale, "dropped after reconnect");
                    }
                    services.run(Command::Refresh(None)).await;
                    let r = crate::app::Reconnected { session: conn.session, production: conn.production };
                    Some(Action::Reconnected(Ok(r)))
                }
                Err(msg) => Some(Action::Reconnected(Err(msg))),
            },
            sig = signals.next() => {
                tracing::info!(signal = sig, "quitting on signal");
                Some(Action::ForceQuit)
            }
        };
        if let Some(action) = action {
            for cmd in update(&mut state, action, clock.now()) {
                let Some(cmd) = services.run(cmd).await else {
                    continue;
                };
                match cmd {
                    Command::Quit => {}
                    Command::Reconnect { profile, region } => match &reconnect {
                        Some(connect) => {
                            let pending = connect(profile, region);
                            let done = connected_tx.clone();
                            tokio::spawn(async move {
                                let _ = done.send(pending.await).await;
                            });
                        }
                        None => {
                            let msg =
                                "switching profile or region needs the AWS backend".to_string();
                            update(
                                &mut state,
                                Action::Notify(NoticeLevel::Error, msg),
                                clock.now(),
                            );
                        }
                    },
                    Command::Copy(text) => {
                        let outcome = copy_osc52(&text);
                        if let Err(e) = outcome {
                            let msg = format!("could not copy: {e}");
                            update(
                                &mut state,
                                Action::Notify(NoticeLevel::Error, msg),
                                clock.now(),
                            );
                        }
                    }
                    Command::Suspend => {
                        suspend(mouse)?;
                        terminal.clear()?;
                        let size = terminal.size()?;
                        update(
                            &mut state,
                            Action::Resize(size.width, size.height),
                            clock.now(),
                        );
                    }
                    Command::SetTheme(name) => {
                        let (level, msg) = match crate::settings::resolve_theme(&name) {
                            Ok(t) => {
                                theme = t;
                                (NoticeLevel::Info, format!("theme {name}"))
                            }
                            Err(e) => (NoticeLevel::Error, e),
                        };
                        update(&mut state, Action::Notify(level, msg), clock.now());
                    }
                    // Carried out by `effects` above.
                    other => tracing::debug!(?other, "command left over"),
                }
            }
        }
        if state.should_quit {
            break;
        }
    }
    // Writes already sent finish (and are audited); their reports have nowhere to go.
    // A load run still going stops here (Ctrl-C and quit always stop it).
    drop(rx);
    services.shutdown().await;
    if mouse {
        let _ = crossterm::execute!(std::io::stdout(), crossterm::event::DisableMouseCapture);
    }
    drop(terminal);
    restore_terminal()?;
    tracing::info!(redraws, "console closed");
    Ok(RunSummary { redraws })
}

/// Leaves raw mode and the alternate screen and shows the cursor.
pub fn restore_terminal() -> std::io::Result<()> {
    ratatui::try_restore()?;
    crossterm::execute!(std::io::stdout(), crossterm::cursor::Show)
}

/// Ctrl-Z: restore the terminal, stop with SIGTSTP like any shell job, and take the terminal
/// back when the shell resumes us with `fg`.
fn suspend(mouse: bool) -> std::io::Result<()> {
    if mouse {
        let _ = crossterm::execute!(std::io::stdout(), crossterm::event::DisableMouseCapture);
    }
    restore_terminal()?;
    #[cfg(unix)]
    // SAFETY: raise() only sends a signal to this process; SIGTSTP's default action stops
    // it until SIGCONT, then the call returns.
    unsafe {
        libc::raise(libc::SIGTSTP);
    }
    crossterm::terminal::enable_raw_mode()?;
    crossterm::execute!(std::io::stdout(), crossterm::terminal::EnterAlternateScreen)?;
    if mouse {
        crossterm::execute!(std::io::stdout(), crossterm::event::EnableMouseCapture)?;
    }
    Ok(())
}

/// Sends `text` to the terminal's clipboard with OSC 52 (works over SSH, no clipboard tool).
fn copy_osc52(text: &str) -> std::io::Result<()> {
    use base64::Engine;
    use std::io::Write;
    let encoded = base64::engine::general_purpose::STANDARD.encode(text.as_bytes());
    let mut out = std::io::stdout().lock();
    write!(out, "\x1b]52;c;{encoded}\x07")?;
    out.flush()
}

/// After ratatui's hook restores the terminal and prints the panic, say where the log is,
/// and end the process: a panic on any thread (a poller, a write task) must not leave the
/// console drawing on a terminal that was just given back.
fn install_panic_note(log_path: Option<PathBuf>) {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        previous(info);
        // ratatui's hook has left the alternate screen; leaving it again would move the
        // cursor back over the panic message. Only make sure of raw mode and the cursor.
        let _ = crossterm::terminal::disable_raw_mode();
        let _ = crossterm::execute!(std::io::stderr(), crossterm::cursor::Show);
        tracing::error!(panic = %info, "sagetop panicked");
        match &log_path {
            Some(p) => {
                // The log writer runs on its own thread: write this line synchronously too.
                use std::io::Write;
                if let Ok(mut f) = std::fs::OpenOptions::new().append(true).open(p) {
                    let _ = writeln!(f, "sagetop panicked: {info}");
                }
                eprintln!("sagetop crashed; the log is at {}", p.display());
            }
            None => eprintln!("sagetop crashed (logging was off)"),
        }
        std::process::exit(101);
    }));
}

/// SIGTERM, SIGHUP and SIGINT as one stream (Ctrl-C in raw mode arrives as a key instead).
struct Signals {
    #[cfg(unix)]
    inner: Vec<(tokio::signal::unix::Signal, &'static str)>,
}

impl Signals {
    fn new() -> Self {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            let inner = [
                (SignalKind::terminate(), "SIGTERM"),
                (SignalKind::hangup(), "SIGHUP"),
                (SignalKind::interrupt(), "SIGINT"),
            ]
            .into_iter()
            .filter_map(|(k, n)| signal(k).ok().map(|s| (s, n)))
            .collect();
            Signals { inner }
        }
        #[cfg(not(unix))]
        Signals {}
    }

    async fn next(&mut self) -> &'static str {
        #[cfg(unix)]
        {
            if self.inner.is_empty() {
                return std::future::pending().await;
            }
            let futs = self.inner.iter_mut().map(|(s, n)| {
                let n = *n;
                Box::pin(async move {
                    s.recv().await;
                    n
                })
            });
            futures::future::select_all(futs).await.0
        }
        #[cfg(not(unix))]
        std::future::pending().await
    }
}
