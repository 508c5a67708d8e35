//! Progress for transfers: one bar per layer on a terminal, as docker
//! draws them; plain status lines when standard error is not a terminal;
//! nothing with `--quiet`.
//!
//! ```text
//! 3f4ca61aafcd: Downloading [=============>          ]  31.2MB/52.1MB
//! 8e2b8b8c2a1d: Download complete
//! ```

use std::io::{IsTerminal, Write};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Bars,
    Lines,
    Quiet,
}

struct Line {
    label: String,
    status: String,
    done: u64,
    total: Option<u64>,
    bar: bool,
}

struct State {
    lines: Vec<Line>,
    drawn: usize,
    last_draw: Option<Instant>,
}

/// The progress display of one command.
#[derive(Clone)]
pub struct Progress {
    mode: Mode,
    state: Arc<Mutex<State>>,
}

/// One line of the display (a layer).
#[derive(Clone)]
pub struct Bar {
    progress: Progress,
    id: usize,
}

impl Progress {
    /// Bars on a terminal, lines otherwise, nothing when `quiet`.
    pub fn new(quiet: bool) -> Progress {
        let mode = if quiet {
            Mode::Quiet
        } else if std::io::stderr().is_terminal()
            && std::env::var_os("TERM").is_some_and(|t| t != "dumb")
        {
            Mode::Bars
        } else {
            Mode::Lines
        };
        Progress {
            mode,
            state: Arc::new(Mutex::new(State {
                lines: Vec::new(),
                drawn: 0,
                last_draw: None,
            })),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A new line labelled `label` (a short digest) with `status`.
    pub fn bar(&self, label: &str, status: &str, total: Option<u64>) -> Bar {
        let id = {
            let mut st = self.lock();
            st.lines.push(Line {
                label: label.to_string(),
                status: status.to_string(),
                done: 0,
                total,
                bar: false,
            });
            st.lines.len() - 1
        };
        if self.mode == Mode::Lines {
            eprintln!("{label}: {status}");
        }
        self.draw(true);
        Bar {
            progress: self.clone(),
            id,
        }
    }

    /// A message line printed above the bars (or alone).
    pub fn message(&self, text: &str) {
        match self.mode {
            Mode::Quiet => {}
            Mode::Lines => eprintln!("{text}"),
            Mode::Bars => {
                let mut st = self.lock();
                let mut err = std::io::stderr().lock();
                if st.drawn > 0 {
                    let _ = write!(err, "\x1b[{}A", st.drawn);
                }
                let _ = writeln!(err, "\r\x1b[2K{text}");
                // The bars are drawn again below the message.
                let n = st.lines.len();
                let width = columns();
                for l in &st.lines {
                    let _ = writeln!(err, "\r\x1b[2K{}", fit(render(l), width));
                }
                st.drawn = n;
                let _ = err.flush();
            }
        }
    }

    fn draw(&self, force: bool) {
        if self.mode != Mode::Bars {
            return;
        }
        let mut st = self.lock();
        let now = Instant::now();
        if !force
            && st
                .last_draw
                .is_some_and(|t| now - t < Duration::from_millis(100))
        {
            return;
        }
        st.last_draw = Some(now);
        let mut err = std::io::stderr().lock();
        if st.drawn > 0 {
            let _ = write!(err, "\x1b[{}A", st.drawn);
        }
        let width = columns();
        for l in &st.lines {
            let _ = writeln!(err, "\r\x1b[2K{}", fit(render(l), width));
        }
        st.drawn = st.lines.len();
        let _ = err.flush();
    }
}

/// Columns of the terminal on standard error (80 if unknown): lines are
/// cut to fit, or wrapped lines would break the redraw.
fn columns() -> usize {
    // SAFETY: TIOCGWINSZ fills a winsize struct we own.
    let mut ws: libc::winsize = unsafe { std::mem::zeroed() };
    let ok = unsafe { libc::ioctl(2, libc::TIOCGWINSZ, &mut ws) } == 0;
    if ok && ws.ws_col > 0 {
        ws.ws_col as usize
    } else {
        std::env::var("COLUMNS")
            .ok()
            .and_then(|c| c.parse().ok())
            .unwrap_or(80)
    }
}

fn fit(line: String, width: usize) -> String {
    if line.chars().count() < width {
        line
    } else {
        line.chars().take(width.saturating_sub(1)).collect()
    }
}

fn human(n: u64) -> String {
    let n = n as f64;
    if n >= 1e9 {
        format!("{:.2}GB", n / 1e9)
    } else if n >= 1e6 {
        format!("{:.1}MB", n / 1e6)
    } else if n >= 1e3 {
        format!("{:.1}kB", n / 1e3)
    } else {
        format!("{n}B")
    }
}

fn render(l: &Line) -> String {
    if !l.bar {
        return format!("{}: {}", l.label, l.status);
    }
    match l.total {
        Some(total) if total > 0 => {
            let width = 40usize;
            let filled = ((l.done.min(total) as f64 / total as f64) * width as f64) as usize;
            let mut bar = "=".repeat(filled);
            if filled < width {
                bar.push('>');
                bar.push_str(&" ".repeat(width - filled - 1));
            }
            format!(
                "{}: {} [{bar}] {:>8}/{}",
                l.label,
                l.status,
                human(l.done),
                human(total)
            )
        }
        _ => format!("{}: {} {}", l.label, l.status, human(l.done)),
    }
}

impl Bar {
    /// Changes the status (`Downloading`, `Verifying Checksum`, …); a byte
    /// count is shown with it while `counting`.
    pub fn status(&self, status: &str, counting: bool) {
        {
            let mut st = self.progress.lock();
            let Some(l) = st.lines.get_mut(self.id) else {
                return;
            };
            if l.status == status && l.bar == counting {
                return;
            }
            l.status = status.to_string();
            l.bar = counting;
            if self.progress.mode == Mode::Lines {
                eprintln!("{}: {status}", l.label);
            }
        }
        self.progress.draw(true);
    }

    /// Sets the bytes done.
    pub fn set(&self, done: u64) {
        if let Some(l) = self.progress.lock().lines.get_mut(self.id) {
            l.done = done;
        }
        self.progress.draw(false);
    }

    /// Adds to the bytes done.
    pub fn add(&self, n: u64) {
        if let Some(l) = self.progress.lock().lines.get_mut(self.id) {
            l.done += n;
        }
        self.progress.draw(false);
    }
}
