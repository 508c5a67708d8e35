//! A shell parser for the text of `RUN` instructions, for lint rules.
//!
//! It reads POSIX `sh` plus the bash syntax common in Dockerfiles and gives
//! a tree of the script and, flattened, every simple command in it — in
//! pipelines, lists, subshells, groups, `if`/`for`/`while`/`case` bodies,
//! command substitutions, process substitutions, here-documents and
//! (optionally) nested shells (`sh -c '…'`, `bash <<EOF`) — with its argv
//! after quote removal and byte spans into the text. Commands give their
//! options the way package-manager flags are written (`-qy` clusters,
//! `--opt=value`, `--opt value`) and can be looked at past wrappers such
//! as `sudo`, `env` or `xargs` ([`SimpleCommand::effective`]).
//!
//! ```text
//! DEBIAN_FRONTEND=noninteractive apt-get install -qy curl && rm -rf /var/lib/apt/lists/*
//! └─ assignment ───────────────┘ └─ words: apt-get install -qy curl ┘ └─ && ─┘ └─ rm … ─┘
//! ```
//!
//! The grammar follows the POSIX Shell Command Language
//! (<https://pubs.opengroup.org/onlinepubs/9799919799/utilities/V3_chap02.html>)
//! with bash's `[[ ]]`, `(( ))`, `$'…'`, `<<<`, `&>`, `|&`, `function`,
//! arrays in assignments and process substitution.
//!
//! It never fails and never panics: unbalanced quotes, stray keywords and
//! garbage give a best-effort tree plus [`Issue`]s saying what was wrong.
//! Rules see the commands the shell would most likely run.
//!
//! Not a shell: nothing is expanded. A word keeps `$VAR`, `${VAR…}`,
//! `$(…)` as written in its [`Word::value`], and says whether it held
//! expansions or quotes, so rules can tell a pinned `pkg=$VERSION` from an
//! unpinned `pkg`.

use std::ops::Range;

/// Nesting deeper than this (subshells, substitutions, quotes) is read as
/// plain text, so hostile input cannot exhaust the stack.
const MAX_DEPTH: u32 = 50;

/// Parses a script. Never fails; see [`Script::issues`].
pub fn parse(src: &str) -> Script {
    parse_with(src, Options::default())
}

/// What to parse besides the script itself.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Options {
    /// Also parse the scripts given to nested shells — the literal script
    /// of `sh -c '…'` / `bash -c "…"` and the here-document fed to `bash
    /// <<EOF` (any POSIX shell) — adding their commands with
    /// [`SimpleCommand::in_nested_shell`] set. Their pipes are not recorded in
    /// [`Script::pipes`]: they run in a shell of their own, where the outer
    /// shell's options do not apply.
    pub nested_shells: bool,
}

/// Parses a script with options. Never fails; see [`Script::issues`].
pub fn parse_with(src: &str, opts: Options) -> Script {
    let mut p = Parser::new(src, 0, Arena::default(), opts, 0);
    let mut body = p.parse_list(Ctx::Top);
    p.finish_heredocs();
    let mut arena = p.arena;
    if opts.nested_shells {
        arena = parse_stdin_scripts(arena, opts);
    }
    // Scripts parsed from a copy (`sh -c '…'`, escaped backticks) have
    // approximate spans: keep every span inside the text and on character
    // boundaries.
    let fix = |r: &mut Range<usize>| fix_span(r, src);
    arena
        .commands
        .iter_mut()
        .for_each(|c| visit_command_spans(c, &fix));
    arena.heredocs.iter_mut().for_each(|h| fix(&mut h.span));
    arena.comments.iter_mut().for_each(fix);
    arena.pipes.iter_mut().for_each(fix);
    arena.issues.iter_mut().for_each(|i| fix(&mut i.span));
    visit_list_spans(&mut body, &fix);
    Script {
        source: src.to_string(),
        body,
        commands: arena.commands,
        heredocs: arena.heredocs,
        comments: arena.comments,
        pipes: arena.pipes,
        issues: arena.issues,
    }
}

/// A parsed script.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Script {
    /// The text parsed; every span indexes it.
    pub source: String,
    /// The top-level command list.
    pub body: List,
    /// Every simple command, in the order the text shows them (an outer
    /// command before the commands in its substitutions).
    /// [`Command::Simple`] holds an index into this list.
    pub commands: Vec<SimpleCommand>,
    /// Here-documents; [`Redirect::heredoc`] holds an index into this list.
    pub heredocs: Vec<HereDoc>,
    /// `# …` comments.
    pub comments: Vec<Range<usize>>,
    /// Every `|` and `|&` pipe operator, nested ones included.
    pub pipes: Vec<Range<usize>>,
    /// What could not be parsed cleanly.
    pub issues: Vec<Issue>,
}

/// Something the parser had to guess about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issue {
    pub span: Range<usize>,
    pub message: &'static str,
}

/// Commands separated by `;`, `&` or newlines.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct List {
    pub items: Vec<ListItem>,
}

/// One and-or list with what ended it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListItem {
    pub and_or: AndOr,
    pub sep: Sep,
}

/// What ends an item of a list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sep {
    /// `;`
    Semi,
    /// `&`: run in the background.
    Amp,
    /// A newline.
    Newline,
    /// The end of the list.
    End,
}

/// Pipelines joined by `&&` and `||`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AndOr {
    pub first: Pipeline,
    pub rest: Vec<(Connector, Pipeline)>,
}

/// How two pipelines are joined.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Connector {
    /// `&&`
    And,
    /// `||`
    Or,
}

/// Commands joined by `|` (or `|&`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pipeline {
    /// `! cmd`
    pub negated: bool,
    /// `time cmd`
    pub timed: bool,
    pub commands: Vec<Command>,
}

/// A command: simple or compound.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// An index into [`Script::commands`].
    Simple(usize),
    /// `( list )`
    Subshell {
        body: List,
        redirects: Vec<Redirect>,
        span: Range<usize>,
    },
    /// `{ list; }`
    Group {
        body: List,
        redirects: Vec<Redirect>,
        span: Range<usize>,
    },
    /// `if c; then …; elif c; then …; else …; fi`
    If {
        /// Condition and body of `if` and each `elif`.
        branches: Vec<(List, List)>,
        otherwise: Option<List>,
        redirects: Vec<Redirect>,
        span: Range<usize>,
    },
    /// `for name [in words]; do …; done`, `select …`, and `for ((…))`.
    For {
        var: String,
        /// `None` without `in` (the positional parameters) and for the
        /// arithmetic form.
        words: Option<Vec<Word>>,
        body: List,
        redirects: Vec<Redirect>,
        span: Range<usize>,
    },
    /// `while c; do …; done` and `until …`.
    While {
        until: bool,
        cond: List,
        body: List,
        redirects: Vec<Redirect>,
        span: Range<usize>,
    },
    /// `case word in pattern) …;; esac`
    Case {
        word: Word,
        arms: Vec<CaseArm>,
        redirects: Vec<Redirect>,
        span: Range<usize>,
    },
    /// `name() body` or `function name body`.
    Function {
        name: String,
        body: Box<Command>,
        span: Range<usize>,
    },
    /// `(( expression ))`
    Arith { text: String, span: Range<usize> },
    /// `[[ expression ]]`
    Test {
        words: Vec<Word>,
        span: Range<usize>,
    },
}

/// One `pattern | pattern) body ;;` of a `case`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseArm {
    pub patterns: Vec<Word>,
    pub body: List,
}

/// A simple command: assignments, words and redirections.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimpleCommand {
    /// From the first assignment, word or redirection to the last.
    pub span: Range<usize>,
    /// `NAME=value` before the command name.
    pub assignments: Vec<Assignment>,
    /// The command name and its arguments.
    pub words: Vec<Word>,
    pub redirects: Vec<Redirect>,
    /// Inside `$(…)`, backticks or `<(…)`.
    pub in_substitution: bool,
    /// Inside the script of a nested shell: `sh -c '…'` or `bash <<EOF` (with
    /// [`Options::nested_shells`]).
    pub in_nested_shell: bool,
    /// Indexes into `words` of the wrappers and, last, of the effective
    /// name; empty without a literal name.
    chain: Vec<usize>,
    /// The effective command's options.
    flags: Vec<Flag>,
}

/// `NAME=value`, `NAME+=value` or `NAME=(a b)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assignment {
    pub name: String,
    pub value: Word,
    pub append: bool,
    pub span: Range<usize>,
}

/// A redirection: `>file`, `2>&1`, `<<EOF`, …
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Redirect {
    /// The file descriptor written before the operator (`2>`).
    pub fd: Option<u32>,
    /// The operator as written: `>`, `>>`, `<`, `<<`, `<<-`, `<<<`, `>&`,
    /// `<&`, `<>`, `>|`, `&>`, `&>>`.
    pub op: &'static str,
    /// The file, descriptor, here-string or here-document delimiter.
    pub target: Word,
    /// For `<<` and `<<-`: an index into [`Script::heredocs`].
    pub heredoc: Option<usize>,
    pub span: Range<usize>,
}

/// A here-document body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HereDoc {
    /// The delimiter, quotes removed.
    pub delimiter: String,
    /// The delimiter was quoted: the body is not expanded.
    pub quoted: bool,
    /// `<<-`: leading tabs are removed from the body lines.
    pub strip_tabs: bool,
    /// The body lines, each with its newline (tabs removed for `<<-`).
    pub body: String,
    /// Where the body lines are (delimiter line excluded).
    pub span: Range<usize>,
}

/// A word: its pieces, each quoted or not.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Word {
    pub span: Range<usize>,
    pub parts: Vec<Part>,
    /// [`Word::value`], computed once: rules read it many times.
    text: String,
    expansion: bool,
    quoted: bool,
}

/// A piece of a word.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Part {
    /// Unquoted text.
    Lit(String),
    /// A backslash-escaped character (the backslash removed).
    Escaped(String),
    /// `'…'`, quotes removed.
    Single(String),
    /// `$'…'`, with its escapes processed.
    AnsiC(String),
    /// `"…"`.
    Double(Vec<Part>),
    /// `$name`, `${name…}`, `$1`, `$@`, …
    Param { name: String, raw: String },
    /// `$(…)` or `` `…` ``; the commands inside are in [`Script::commands`].
    CmdSub { raw: String, body: List },
    /// `$((…))`
    Arith { raw: String },
    /// `<(…)` or `>(…)`.
    ProcSub { raw: String, body: List },
}

impl Part {
    fn push_value(&self, out: &mut String) {
        match self {
            Part::Lit(s) | Part::Escaped(s) | Part::Single(s) | Part::AnsiC(s) => out.push_str(s),
            Part::Double(parts) => parts.iter().for_each(|p| p.push_value(out)),
            Part::Param { raw, .. }
            | Part::CmdSub { raw, .. }
            | Part::Arith { raw }
            | Part::ProcSub { raw, .. } => out.push_str(raw),
        }
    }

    fn is_expansion(&self) -> bool {
        match self {
            Part::Double(parts) => parts.iter().any(Part::is_expansion),
            Part::Param { .. }
            | Part::CmdSub { .. }
            | Part::Arith { .. }
            | Part::ProcSub { .. } => true,
            _ => false,
        }
    }

    fn is_quoted(&self) -> bool {
        matches!(
            self,
            Part::Escaped(_) | Part::Single(_) | Part::AnsiC(_) | Part::Double(_)
        )
    }

    fn vars<'a>(&'a self, out: &mut Vec<&'a str>) {
        match self {
            Part::Param { name, .. } => out.push(name),
            Part::Double(parts) => parts.iter().for_each(|p| p.vars(out)),
            _ => {}
        }
    }
}

impl Word {
    /// A word made of `parts`, found at `span`.
    pub fn new(span: Range<usize>, parts: Vec<Part>) -> Word {
        let mut text = String::new();
        for p in &parts {
            p.push_value(&mut text);
        }
        Word {
            expansion: parts.iter().any(Part::is_expansion),
            quoted: parts.iter().any(Part::is_quoted),
            span,
            parts,
            text,
        }
    }

    /// The word after quote removal, expansions kept as written
    /// (`"pkg=${V}"` → `pkg=${V}`).
    pub fn value(&self) -> &str {
        &self.text
    }

    /// The value when the word holds no expansion.
    pub fn literal(&self) -> Option<&str> {
        (!self.expansion).then_some(self.text.as_str())
    }

    /// Whether the word holds `$…`, `${…}`, `$(…)`, backticks or `$((…))`.
    pub fn has_expansion(&self) -> bool {
        self.expansion
    }

    /// Whether any of the word is quoted or escaped.
    pub fn is_quoted(&self) -> bool {
        self.quoted
    }

    /// Names of the variables the word refers to (`$V`, `${V:-x}`).
    pub fn vars(&self) -> Vec<&str> {
        let mut v = Vec::new();
        for p in &self.parts {
            p.vars(&mut v);
        }
        v
    }

    /// Whether unquoted glob characters (`*`, `?`, `[`) appear.
    pub fn has_glob(&self) -> bool {
        self.parts.iter().any(|p| match p {
            Part::Lit(s) => s.contains(['*', '?', '[']),
            _ => false,
        })
    }
}

impl SimpleCommand {
    /// The command name, when literal: `"apt-get"` and `apt-get` give
    /// `apt-get`, `$APT` gives nothing.
    pub fn name(&self) -> Option<&str> {
        self.words.first().and_then(Word::literal)
    }

    /// The command as written: its name and arguments.
    pub fn argv(&self) -> Cmd<'_> {
        Cmd {
            words: &self.words,
            start: 0,
            flags: None,
        }
    }

    /// The command that really runs, past wrappers that run another
    /// command given as their arguments: `sudo`, `doas`, `env`, `exec`,
    /// `command` (not `command -v`), `builtin`, `busybox`, `nohup`,
    /// `nice`, `time`, `timeout`, `stdbuf`, `xargs`, `gosu`, `su-exec`,
    /// `chroot DIR`. `env NAME=value` pairs are skipped.
    /// `None` when there is no literal name.
    pub fn effective(&self) -> Option<Cmd<'_>> {
        Some(Cmd {
            words: &self.words,
            start: *self.chain.last()?,
            flags: Some(&self.flags),
        })
    }

    /// The wrapper names before the effective command (`sudo`, `env`, …).
    pub fn wrappers(&self) -> Vec<&str> {
        self.chain[..self.chain.len().saturating_sub(1)]
            .iter()
            .filter_map(|&i| self.words.get(i).and_then(Word::literal))
            .collect()
    }

    /// Computes what rules ask of every command: the wrapper chain and
    /// the effective command's options.
    fn finish(mut self) -> SimpleCommand {
        self.chain = wrapper_chain(&self.words);
        self.flags = match self.chain.last() {
            Some(&start) => flags_of(self.words.get(start + 1..).unwrap_or(&[])),
            None => Vec::new(),
        };
        self
    }

    /// For `sh -c 'script'` (also `bash`, `dash`, `ash`, `zsh`, `ksh`, with
    /// option clusters such as `-ec`): the script word.
    pub fn shell_c_script(&self) -> Option<&Word> {
        match self.shell_input()? {
            ShellInput::Inline(w) => Some(w),
            _ => None,
        }
    }

    /// For a POSIX shell run without `-c` and without a script file
    /// (`bash`, `sh -eux`, `sh -s`): it reads its script from stdin.
    pub fn reads_script_from_stdin(&self) -> bool {
        matches!(self.shell_input(), Some(ShellInput::Stdin))
    }

    fn shell_input(&self) -> Option<ShellInput<'_>> {
        let cmd = self.effective()?;
        let name = cmd.name()?;
        if !is_posix_shell(basename(name)) {
            return None;
        }
        let mut words = cmd.args().iter();
        while let Some(w) = words.next() {
            let Some(v) = w.literal() else {
                return Some(ShellInput::File);
            };
            if v == "-o" || v == "+o" {
                words.next();
                continue;
            }
            if v == "-s" {
                return Some(ShellInput::Stdin);
            }
            if let Some(opts) = v.strip_prefix('-').filter(|o| !o.starts_with('-')) {
                if opts.contains('c') {
                    return words.next().map(ShellInput::Inline);
                }
                continue;
            }
            if v.starts_with('+') || v.starts_with("--") {
                continue;
            }
            return Some(ShellInput::File);
        }
        Some(ShellInput::Stdin)
    }
}

/// Where a shell command's script comes from.
enum ShellInput<'a> {
    /// `-c 'script'`
    Inline(&'a Word),
    /// Standard input.
    Stdin,
    /// A script file (or something not literal).
    File,
}

/// Whether `name` (a basename) is a POSIX-like shell.
pub fn is_posix_shell(name: &str) -> bool {
    matches!(
        name,
        "sh" | "bash" | "dash" | "ash" | "zsh" | "ksh" | "mksh"
    )
}

/// Indexes into `words` of the wrappers and, last, of the effective name;
/// empty when the name is not literal.
fn wrapper_chain(words: &[Word]) -> Vec<usize> {
    let mut chain = Vec::new();
    let mut i = 0;
    while let Some(name) = words.get(i).and_then(Word::literal) {
        chain.push(i);
        match skip_wrapper(basename(name), &words[i + 1..]) {
            Some(n) if i + 1 + n < words.len() => i += 1 + n,
            _ => break,
        }
    }
    chain
}

/// The final path component: `/usr/bin/env` → `env`.
pub fn basename(path: &str) -> &str {
    match path.as_bytes().iter().rposition(|&b| b == b'/') {
        Some(i) => &path[i + 1..],
        None => path,
    }
}

/// How many argument words the wrapper `name` consumes before the wrapped
/// command name, or `None` when `name` is not a wrapper (or does not run a
/// command here, like `command -v`).
fn skip_wrapper(name: &str, args: &[Word]) -> Option<usize> {
    // Options of each wrapper that take a separate value.
    let with_value: &[&str] = match name {
        "sudo" => &[
            "-u",
            "-g",
            "-C",
            "-D",
            "-h",
            "-p",
            "-r",
            "-t",
            "-T",
            "-U",
            "-R",
            "--user",
            "--group",
            "--chdir",
            "--prompt",
            "--role",
            "--type",
            "--other-user",
            "--host",
            "--chroot",
            "--close-from",
            "--command-timeout",
        ],
        "doas" => &["-u", "-C"],
        "env" => &["-u", "-C", "-S", "--unset", "--chdir", "--split-string"],
        "exec" => &["-a"],
        "nice" => &["-n", "--adjustment"],
        "timeout" => &["-s", "-k", "--signal", "--kill-after"],
        "stdbuf" => &["-i", "-o", "-e", "--input", "--output", "--error"],
        "xargs" => &[
            "-I",
            "-L",
            "-n",
            "-P",
            "-s",
            "-d",
            "-E",
            "-a",
            "--max-args",
            "--max-procs",
            "--max-chars",
            "--delimiter",
            "--arg-file",
            "--max-lines",
            "--replace",
            "--eof",
            "--process-slot-var",
        ],
        "command" | "builtin" | "busybox" | "nohup" | "time" | "gosu" | "su-exec" | "chroot" => &[],
        _ => return None,
    };
    let mut i = 0;
    while let Some(w) = args.get(i) {
        let Some(v) = w.literal() else { break };
        if v == "--" {
            i += 1;
            break;
        }
        if name == "command" && (v == "-v" || v == "-V") {
            return None;
        }
        if name == "env" && is_assignment_text(v) {
            i += 1;
            continue;
        }
        if v.starts_with('-') && v.len() > 1 && !matches!(name, "gosu" | "su-exec" | "chroot") {
            i += if with_value.contains(&v) { 2 } else { 1 };
            continue;
        }
        break;
    }
    // Positional words before the command.
    let positional = match name {
        "timeout" | "gosu" | "su-exec" | "chroot" => 1,
        _ => 0,
    };
    Some(i + positional)
}

fn is_assignment_text(s: &str) -> bool {
    match s.split_once('=') {
        Some((n, _)) => is_name(n),
        None => false,
    }
}

fn is_name(s: &str) -> bool {
    let mut c = s.chars();
    matches!(c.next(), Some(ch) if ch == '_' || ch.is_ascii_alphabetic())
        && c.all(|ch| ch == '_' || ch.is_ascii_alphanumeric())
}

/// A view of a command: its name and arguments, with option helpers that
/// understand short clusters (`-qy`), long options (`--no-cache`) and
/// inline values (`--opt=value`).
#[derive(Debug, Clone, Copy)]
pub struct Cmd<'a> {
    words: &'a [Word],
    start: usize,
    /// The options, when computed at parse time.
    flags: Option<&'a [Flag]>,
}

/// One option found among a command's arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flag {
    /// The option without dashes: `y` for `-qy`'s second, `no-cache` for
    /// `--no-cache`, `opt` for `--opt=value`.
    pub name: String,
    /// `--opt=value`: the inline value.
    pub inline: Option<String>,
    /// Index of the argument word it came from (in [`Cmd::args`]).
    pub arg: usize,
    /// A long (`--`) option.
    pub long: bool,
}

/// The options among `args`, read as hadolint does: `--x=y` is option `x`;
/// `-abc` is options `a`, `b`, `c`; `-` and `--` are not options; words
/// after `--` are still read.
fn flags_of(args: &[Word]) -> Vec<Flag> {
    let mut out = Vec::new();
    for (i, w) in args.iter().enumerate() {
        let v = w.value();
        if v == "-" || v == "--" {
            continue;
        }
        if let Some(long) = v.strip_prefix("--") {
            let (name, inline) = match long.split_once('=') {
                Some((n, val)) => (n.to_string(), Some(val.to_string())),
                None => (long.to_string(), None),
            };
            out.push(Flag {
                name,
                inline,
                arg: i,
                long: true,
            });
        } else if let Some(short) = v.strip_prefix('-') {
            for c in short.chars() {
                out.push(Flag {
                    name: c.to_string(),
                    inline: None,
                    arg: i,
                    long: false,
                });
            }
        }
    }
    out
}

impl<'a> Cmd<'a> {
    /// The command name, when literal.
    pub fn name(&self) -> Option<&'a str> {
        self.words.get(self.start).and_then(Word::literal)
    }

    /// The basename of the command name: `/usr/bin/apt-get` → `apt-get`.
    pub fn base_name(&self) -> Option<&'a str> {
        self.name().map(basename)
    }

    /// Whether the command is `name` (compared by basename).
    pub fn is(&self, name: &str) -> bool {
        self.base_name() == Some(name)
    }

    /// The name word.
    pub fn name_word(&self) -> Option<&'a Word> {
        self.words.get(self.start)
    }

    /// The argument words after the name.
    pub fn args(&self) -> &'a [Word] {
        self.words.get(self.start + 1..).unwrap_or(&[])
    }

    /// The argument values (see [`Word::value`]).
    pub fn arg_values(&self) -> Vec<&'a str> {
        self.args().iter().map(Word::value).collect()
    }

    /// Whether some argument's value is `arg`.
    pub fn has_arg(&self, arg: &str) -> bool {
        self.args().iter().any(|w| w.value() == arg)
    }

    /// Whether some argument's value is one of `args`.
    pub fn has_any_arg(&self, args: &[&str]) -> bool {
        self.args().iter().any(|w| args.contains(&w.value()))
    }

    /// Every option, read as hadolint does: `--x=y` is option `x`; `-abc`
    /// is options `a`, `b`, `c`; `-` and `--` are not options; words after
    /// `--` are still read.
    pub fn flags(&self) -> std::borrow::Cow<'a, [Flag]> {
        match self.flags {
            Some(f) => std::borrow::Cow::Borrowed(f),
            None => std::borrow::Cow::Owned(flags_of(self.args())),
        }
    }

    /// Whether option `name` is given (`y` matches `-y` and `-qy`,
    /// `no-cache` matches `--no-cache` and `--no-cache=…`).
    pub fn has_flag(&self, name: &str) -> bool {
        self.flags().iter().any(|f| f.name == name)
    }

    /// Whether any of the options is given.
    pub fn has_any_flag(&self, names: &[&str]) -> bool {
        self.flags()
            .iter()
            .any(|f| names.contains(&f.name.as_str()))
    }

    /// How many times option `name` is given (`-qq` counts 2).
    pub fn count_flag(&self, name: &str) -> usize {
        self.flags().iter().filter(|f| f.name == name).count()
    }

    /// The values of option `name`: the inline value of `--name=v`, or the
    /// argument after `--name` / `-n` (also after a cluster ending in it).
    pub fn flag_values(&self, name: &str) -> Vec<String> {
        let args = self.args();
        let mut out = Vec::new();
        for f in self.flags().iter().filter(|f| f.name == name) {
            if let Some(v) = &f.inline {
                out.push(v.clone());
            } else if let Some(w) = args.get(f.arg + 1) {
                out.push(w.value().to_string());
            }
        }
        out
    }

    /// The arguments that are not options, skipping the value word after
    /// each option named in `with_value` (`-t`, `--target-release`: give
    /// `t`, `target-release`) unless written `--opt=value`. The operand
    /// list, as hadolint reads it (`-` and `--` are operands).
    pub fn positional(&self, with_value: &[&str]) -> Vec<&'a Word> {
        let args = self.args();
        let mut skip = vec![false; args.len()];
        for f in self.flags().iter() {
            skip[f.arg] = true;
            if f.inline.is_none() && with_value.contains(&f.name.as_str()) {
                if let Some(s) = skip.get_mut(f.arg + 1) {
                    *s = true;
                }
            }
        }
        args.iter()
            .zip(skip)
            .filter(|(_, s)| !s)
            .map(|(w, _)| w)
            .collect()
    }

    /// The values of [`Cmd::positional`].
    pub fn positional_values(&self, with_value: &[&str]) -> Vec<&'a str> {
        self.positional(with_value)
            .into_iter()
            .map(Word::value)
            .collect()
    }

    /// The first operand: the subcommand of `apt-get install`, `apk add`,
    /// `pip install` (options and their values skipped).
    pub fn subcommand(&self, with_value: &[&str]) -> Option<&'a str> {
        self.positional(with_value).first().map(|w| w.value())
    }
}

impl Script {
    /// The text of a span.
    pub fn text(&self, span: &Range<usize>) -> &str {
        self.source.get(span.clone()).unwrap_or("")
    }

    /// Whether the script has a pipe (`|` or `|&`) anywhere.
    pub fn has_pipes(&self) -> bool {
        !self.pipes.is_empty()
    }

    /// Commands by their effective name (past `sudo`, `env`, …; compared by
    /// basename), in order.
    pub fn commands_named<'s>(&'s self, name: &'s str) -> impl Iterator<Item = Cmd<'s>> + 's {
        self.commands
            .iter()
            .filter_map(SimpleCommand::effective)
            .filter(move |c| c.is(name))
    }

    /// The effective view of every command that has a literal name.
    pub fn effective_commands(&self) -> impl Iterator<Item = Cmd<'_>> {
        self.commands.iter().filter_map(SimpleCommand::effective)
    }

    /// Whether `set -o pipefail` (or a cluster like `set -euo pipefail`)
    /// ran in this script's top-level flow before byte `offset`, and was
    /// not undone by `set +o pipefail`.
    pub fn pipefail_before(&self, offset: usize) -> bool {
        let mut on = false;
        for c in &self.commands {
            if c.span.start >= offset {
                break;
            }
            if c.in_substitution || c.name() != Some("set") {
                continue;
            }
            let args: Vec<&str> = c.words[1..].iter().map(Word::value).collect();
            let mut i = 0;
            while i < args.len() {
                let a = &args[i];
                let sign = a.chars().next();
                if matches!(sign, Some('-') | Some('+')) && a.len() > 1 && a[1..].contains('o') {
                    if args.get(i + 1) == Some(&"pipefail") {
                        on = sign == Some('-');
                    }
                    i += 2;
                    continue;
                }
                i += 1;
            }
        }
        on
    }

    /// Whether the script sets `pipefail` before its first pipe.
    pub fn pipefail_before_pipes(&self) -> bool {
        match self.pipes.first() {
            Some(p) => self.pipefail_before(p.start),
            None => true,
        }
    }
}

// ─── the parser ────────────────────────────────────────────────────────────

#[derive(Debug, Default)]
struct Arena {
    commands: Vec<SimpleCommand>,
    heredocs: Vec<HereDoc>,
    comments: Vec<Range<usize>>,
    pipes: Vec<Range<usize>>,
    issues: Vec<Issue>,
}

/// What ends the list being parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ctx {
    /// The whole script.
    Top,
    /// `( … )` and `$( … )`: a `)`.
    Paren,
    /// `{ … }`: a `}` word.
    Brace,
    /// One of these reserved words.
    Words(&'static [&'static str]),
    /// A case arm: `;;`, `;&`, `;;&` or `esac`.
    CaseArm,
}

const RESERVED: &[&str] = &[
    "if", "then", "else", "elif", "fi", "do", "done", "case", "esac", "while", "until", "for",
    "in", "function", "select", "{", "}", "!", "[[", "]]", "time",
];

struct Parser<'s> {
    src: &'s str,
    b: &'s [u8],
    pos: usize,
    /// Added to every span: where this text starts in the script (for
    /// backtick bodies and `sh -c` scripts parsed from a copy).
    base: usize,
    arena: Arena,
    opts: Options,
    depth: u32,
    in_subst: bool,
    in_nested_shell: bool,
    /// Here-documents whose body starts after the next newline.
    pending: Vec<usize>,
}

impl<'s> Parser<'s> {
    fn new(src: &'s str, base: usize, arena: Arena, opts: Options, depth: u32) -> Parser<'s> {
        Parser {
            src,
            b: src.as_bytes(),
            pos: 0,
            base,
            arena,
            opts,
            depth,
            in_subst: false,
            in_nested_shell: false,
            pending: Vec::new(),
        }
    }

    fn peek(&self) -> Option<u8> {
        self.b.get(self.pos).copied()
    }

    fn peek_at(&self, n: usize) -> Option<u8> {
        self.b.get(self.pos + n).copied()
    }

    fn starts(&self, s: &str) -> bool {
        self.b
            .get(self.pos..)
            .is_some_and(|rest| rest.starts_with(s.as_bytes()))
    }

    fn span(&self, start: usize, end: usize) -> Range<usize> {
        self.base + start..self.base + end
    }

    fn issue(&mut self, start: usize, end: usize, message: &'static str) {
        let span = self.span(start, end.max(start));
        self.arena.issues.push(Issue { span, message });
    }

    /// The next character (whole, for UTF-8) as a string slice; advances.
    fn bump_char(&mut self) -> &'s str {
        let start = self.pos;
        let len = self.src[start..].chars().next().map_or(1, char::len_utf8);
        self.pos = (start + len).min(self.b.len());
        &self.src[start..self.pos]
    }

    /// Moves past the byte at the cursor and on to the next character
    /// boundary (safe wherever the cursor is, unlike [`Parser::bump_char`]).
    fn step(&mut self) {
        self.pos = (self.pos + 1).min(self.b.len());
        while !self.src.is_char_boundary(self.pos) {
            self.pos += 1;
        }
    }

    /// Skips blanks, line continuations and comments (not newlines).
    fn skip_blanks(&mut self) {
        loop {
            match self.peek() {
                Some(b' ' | b'\t' | b'\r') => self.pos += 1,
                Some(b'\\') if self.peek_at(1) == Some(b'\n') => self.pos += 2,
                Some(b'\\') if self.peek_at(1) == Some(b'\r') && self.peek_at(2) == Some(b'\n') => {
                    self.pos += 3
                }
                Some(b'#') => {
                    let start = self.pos;
                    while !matches!(self.peek(), None | Some(b'\n')) {
                        self.pos += 1;
                    }
                    self.arena.comments.push(self.span(start, self.pos));
                }
                _ => return,
            }
        }
    }

    /// Consumes a newline and reads the bodies of pending here-documents.
    fn newline(&mut self) {
        self.pos += 1;
        self.read_heredoc_bodies();
    }

    /// Skips blanks, comments and newlines.
    fn skip_linebreaks(&mut self) {
        loop {
            self.skip_blanks();
            if self.peek() == Some(b'\n') {
                self.newline();
            } else {
                return;
            }
        }
    }

    fn read_heredoc_bodies(&mut self) {
        for idx in std::mem::take(&mut self.pending) {
            let Some(doc) = self.arena.heredocs.get(idx) else {
                continue;
            };
            let (delim, strip) = (doc.delimiter.clone(), doc.strip_tabs);
            let start = self.pos;
            let mut body = String::new();
            let mut end = None;
            while self.pos < self.b.len() {
                let line_start = self.pos;
                let line_end = self.src[line_start..]
                    .find('\n')
                    .map_or(self.b.len(), |i| line_start + i);
                let line = &self.src[line_start..line_end];
                let line = line.strip_suffix('\r').unwrap_or(line);
                let text = if strip {
                    line.trim_start_matches('\t')
                } else {
                    line
                };
                self.pos = (line_end + 1).min(self.b.len());
                if text == delim {
                    end = Some(line_start);
                    break;
                }
                body.push_str(text);
                body.push('\n');
            }
            let end = end.unwrap_or_else(|| {
                self.issue(start, self.pos, "here-document not terminated");
                self.pos
            });
            self.set_heredoc(idx, body, start, end);
        }
    }

    fn set_heredoc(&mut self, idx: usize, body: String, start: usize, end: usize) {
        let span = self.span(start, end);
        if let Some(doc) = self.arena.heredocs.get_mut(idx) {
            doc.body = body;
            doc.span = span;
        }
    }

    fn finish_heredocs(&mut self) {
        if !self.pending.is_empty() {
            let at = self.pos;
            self.pending.clear();
            self.issue(at, at, "here-document body missing");
        }
    }

    /// The reserved word at the cursor, if the next word is one.
    fn reserved_here(&self) -> Option<&'static str> {
        let rest = self.b.get(self.pos..)?;
        let first = *rest.first()?;
        if !(first.is_ascii_lowercase() || matches!(first, b'{' | b'}' | b'!' | b'[' | b']')) {
            return None;
        }
        // A keyword is a whole word: `{a,b}` and `done2` are not.
        let len = rest.iter().position(|&c| is_meta(c)).unwrap_or(rest.len());
        let word = &rest[..len];
        let w = RESERVED.iter().copied().find(|w| w.as_bytes() == word)?;
        // `{` and `!` must be followed by a blank: `{(` is no group.
        if matches!(w, "{" | "!") && rest.get(len).is_some_and(|&c| !is_blank(c) && c != b'\n') {
            return None;
        }
        Some(w)
    }

    fn at_list_end(&self, ctx: Ctx) -> bool {
        match self.peek() {
            None => true,
            Some(b')') => ctx == Ctx::Paren || ctx == Ctx::CaseArm,
            Some(b';') if ctx == Ctx::CaseArm => {
                self.peek_at(1) == Some(b';') || self.peek_at(1) == Some(b'&')
            }
            _ => match (ctx, self.reserved_here()) {
                (Ctx::Brace, Some("}")) => true,
                (Ctx::Words(ws), Some(w)) => ws.contains(&w),
                (Ctx::CaseArm, Some("esac")) => true,
                _ => false,
            },
        }
    }

    fn parse_list(&mut self, ctx: Ctx) -> List {
        let mut items = Vec::new();
        loop {
            self.skip_linebreaks();
            if self.at_list_end(ctx) {
                break;
            }
            let before = self.pos;
            // Stray closers that end nothing here.
            if let Some(b')') = self.peek() {
                self.issue(self.pos, self.pos + 1, "unexpected `)`");
                self.pos += 1;
                continue;
            }
            if let Some(
                w @ ("then" | "else" | "elif" | "fi" | "do" | "done" | "esac" | "}" | "]]" | "in"),
            ) = self.reserved_here()
            {
                if !matches!(ctx, Ctx::Words(_) | Ctx::Brace | Ctx::CaseArm)
                    || w == "]]"
                    || w == "in"
                {
                    self.issue(self.pos, self.pos + w.len(), "unexpected keyword");
                    self.pos += w.len();
                    continue;
                }
                // A closer for an outer construct: end this list and let
                // the caller sort it out.
                break;
            }
            if matches!(self.peek(), Some(b';' | b'&' | b'|')) {
                // An operator with no command before it.
                let len = if matches!(self.peek_at(1), Some(b';' | b'&' | b'|')) {
                    2
                } else {
                    1
                };
                self.issue(self.pos, self.pos + len, "operator without a command");
                self.pos += len;
                continue;
            }
            let and_or = self.parse_and_or(ctx);
            self.skip_blanks();
            let sep = match self.peek() {
                Some(b';')
                    if !(ctx == Ctx::CaseArm && matches!(self.peek_at(1), Some(b';' | b'&'))) =>
                {
                    self.pos += 1;
                    Sep::Semi
                }
                Some(b'&') => {
                    self.pos += 1;
                    Sep::Amp
                }
                Some(b'\n') => {
                    self.newline();
                    Sep::Newline
                }
                _ => Sep::End,
            };
            items.push(ListItem { and_or, sep });
            if self.pos == before {
                // No progress: skip one character so parsing always ends.
                self.issue(self.pos, self.pos + 1, "unexpected character");
                self.bump_char();
            }
        }
        List { items }
    }

    fn parse_and_or(&mut self, ctx: Ctx) -> AndOr {
        let first = self.parse_pipeline(ctx);
        let mut rest = Vec::new();
        loop {
            self.skip_blanks();
            let conn = if self.starts("&&") {
                Connector::And
            } else if self.starts("||") {
                Connector::Or
            } else {
                break;
            };
            self.pos += 2;
            self.skip_linebreaks();
            if self.at_list_end(ctx) || matches!(self.peek(), Some(b';' | b'&' | b'|')) {
                self.issue(self.pos, self.pos, "missing command after `&&` or `||`");
                break;
            }
            rest.push((conn, self.parse_pipeline(ctx)));
        }
        AndOr { first, rest }
    }

    fn parse_pipeline(&mut self, ctx: Ctx) -> Pipeline {
        let mut negated = false;
        let mut timed = false;
        loop {
            self.skip_blanks();
            match self.reserved_here() {
                Some("!") => {
                    negated = !negated;
                    self.pos += 1;
                }
                Some("time") => {
                    timed = true;
                    self.pos += 4;
                    self.skip_blanks();
                    if self.starts("-p") && self.peek_at(2).is_none_or(is_meta) {
                        self.pos += 2;
                    }
                }
                _ => break,
            }
        }
        let mut commands = vec![self.parse_command()];
        loop {
            self.skip_blanks();
            if self.peek() == Some(b'|') && self.peek_at(1) != Some(b'|') {
                let start = self.pos;
                self.pos += if self.peek_at(1) == Some(b'&') { 2 } else { 1 };
                let pipe = self.span(start, self.pos);
                self.arena.pipes.push(pipe);
                self.skip_linebreaks();
                if self.at_list_end(ctx) || matches!(self.peek(), Some(b';' | b'&' | b'|')) {
                    self.issue(start, self.pos, "missing command after `|`");
                    break;
                }
                commands.push(self.parse_command());
            } else {
                break;
            }
        }
        Pipeline {
            negated,
            timed,
            commands,
        }
    }

    fn parse_command(&mut self) -> Command {
        self.skip_blanks();
        let start = self.pos;
        if self.depth >= MAX_DEPTH {
            return self.parse_simple();
        }
        if self.starts("((") {
            return self.parse_arith_command();
        }
        if self.peek() == Some(b'(') {
            self.pos += 1;
            let body = self.nested(|p| p.parse_list(Ctx::Paren));
            self.expect_byte(b')', start, "`(` not closed");
            let redirects = self.parse_redirects();
            let span = self.span(start, self.pos);
            return Command::Subshell {
                body,
                redirects,
                span,
            };
        }
        match self.reserved_here() {
            Some("{") => {
                self.pos += 1;
                let body = self.nested(|p| p.parse_list(Ctx::Brace));
                self.expect_word("}", start, "`{` not closed");
                let redirects = self.parse_redirects();
                let span = self.span(start, self.pos);
                Command::Group {
                    body,
                    redirects,
                    span,
                }
            }
            Some("if") => self.parse_if(),
            Some(w @ ("for" | "select")) => self.parse_for(w.len()),
            Some(w @ ("while" | "until")) => self.parse_while(w == "until"),
            Some("case") => self.parse_case(),
            Some("[[") => self.parse_test(),
            Some("function") => self.parse_function_keyword(),
            _ => self.parse_simple(),
        }
    }

    /// Runs `f` one nesting level deeper.
    fn nested<T>(&mut self, f: impl FnOnce(&mut Self) -> T) -> T {
        self.depth += 1;
        let r = f(self);
        self.depth -= 1;
        r
    }

    fn expect_byte(&mut self, c: u8, open: usize, message: &'static str) {
        self.skip_linebreaks();
        if self.peek() == Some(c) {
            self.pos += 1;
        } else {
            self.issue(open, self.pos, message);
        }
    }

    fn expect_word(&mut self, w: &str, open: usize, message: &'static str) -> bool {
        self.skip_linebreaks();
        if self.reserved_here() == Some(reserved_static(w)) {
            self.pos += w.len();
            true
        } else {
            self.issue(open, self.pos, message);
            false
        }
    }

    /// Whether a compound command opened at `open` ends here (after line
    /// breaks): at its `closer`, which is consumed, or at the end of the
    /// input, an issue (`message`).
    fn at_end_of(&mut self, open: usize, closer: &str, message: &'static str) -> bool {
        self.skip_linebreaks();
        if self.peek().is_none() {
            self.issue(open, self.pos, message);
            return true;
        }
        if self.reserved_here() == Some(closer) {
            self.pos += closer.len();
            return true;
        }
        false
    }

    fn parse_if(&mut self) -> Command {
        let start = self.pos;
        self.pos += 2;
        let mut branches = Vec::new();
        let mut otherwise = None;
        self.nested(|p| loop {
            let cond = p.parse_list(Ctx::Words(&["then"]));
            if !p.expect_word("then", start, "`if` without `then`") {
                branches.push((cond, List::default()));
                break;
            }
            let body = p.parse_list(Ctx::Words(&["elif", "else", "fi"]));
            branches.push((cond, body));
            p.skip_linebreaks();
            match p.reserved_here() {
                Some("elif") => p.pos += 4,
                Some("else") => {
                    p.pos += 4;
                    otherwise = Some(p.parse_list(Ctx::Words(&["fi"])));
                    p.expect_word("fi", start, "`if` without `fi`");
                    break;
                }
                _ => {
                    p.expect_word("fi", start, "`if` without `fi`");
                    break;
                }
            }
        });
        let redirects = self.parse_redirects();
        Command::If {
            branches,
            otherwise,
            redirects,
            span: self.span(start, self.pos),
        }
    }

    fn parse_for(&mut self, kw_len: usize) -> Command {
        let start = self.pos;
        self.pos += kw_len;
        self.skip_blanks();
        let mut var = String::new();
        let mut words = None;
        if self.starts("((") {
            let arith = self.parse_arith_command();
            if let Command::Arith { text, .. } = arith {
                var = text;
            }
            self.skip_blanks();
            if self.peek() == Some(b';') {
                self.pos += 1;
            }
        } else {
            if let Some(w) = self.read_word() {
                var = w.value().to_string();
            }
            self.skip_linebreaks();
            if self.reserved_here() == Some("in") {
                self.pos += 2;
                let mut list = Vec::new();
                loop {
                    self.skip_blanks();
                    match self.peek() {
                        None | Some(b';' | b'\n' | b'&' | b'|' | b')' | b'(') => break,
                        Some(b'<' | b'>') => break,
                        _ => {}
                    }
                    match self.read_word() {
                        Some(w) => list.push(w),
                        None => break,
                    }
                }
                words = Some(list);
            }
            self.skip_blanks();
            if self.peek() == Some(b';') {
                self.pos += 1;
            }
        }
        let body = self.parse_do_body(start);
        let redirects = self.parse_redirects();
        Command::For {
            var,
            words,
            body,
            redirects,
            span: self.span(start, self.pos),
        }
    }

    /// `do list done` (or bash's `{ list }`).
    fn parse_do_body(&mut self, start: usize) -> List {
        self.skip_linebreaks();
        match self.reserved_here() {
            Some("do") => {
                self.pos += 2;
                let body = self.nested(|p| p.parse_list(Ctx::Words(&["done"])));
                self.expect_word("done", start, "loop without `done`");
                body
            }
            Some("{") => {
                self.pos += 1;
                let body = self.nested(|p| p.parse_list(Ctx::Brace));
                self.expect_word("}", start, "`{` not closed");
                body
            }
            _ => {
                self.issue(start, self.pos, "loop without `do`");
                List::default()
            }
        }
    }

    fn parse_while(&mut self, until: bool) -> Command {
        let start = self.pos;
        self.pos += 5;
        let cond = self.nested(|p| p.parse_list(Ctx::Words(&["do"])));
        let body = self.parse_do_body(start);
        let redirects = self.parse_redirects();
        Command::While {
            until,
            cond,
            body,
            redirects,
            span: self.span(start, self.pos),
        }
    }

    fn parse_case(&mut self) -> Command {
        let start = self.pos;
        self.pos += 4;
        self.skip_blanks();
        let word = self.read_word().unwrap_or_default();
        self.skip_linebreaks();
        if self.reserved_here() == Some("in") {
            self.pos += 2;
        } else {
            self.issue(start, self.pos, "`case` without `in`");
        }
        let mut arms = Vec::new();
        self.nested(|p| loop {
            if p.at_end_of(start, "esac", "`case` without `esac`") {
                break;
            }
            let before = p.pos;
            if p.peek() == Some(b'(') {
                p.pos += 1;
            }
            let mut patterns = Vec::new();
            loop {
                p.skip_blanks();
                match p.peek() {
                    Some(b'|') => p.pos += 1,
                    Some(b')') => {
                        p.pos += 1;
                        break;
                    }
                    None | Some(b'\n' | b';' | b'&' | b'(' | b'<' | b'>') => {
                        p.issue(before, p.pos, "case pattern without `)`");
                        break;
                    }
                    _ => match p.read_word() {
                        Some(w) => patterns.push(w),
                        None => {
                            p.bump_char();
                        }
                    },
                }
            }
            let body = p.parse_list(Ctx::CaseArm);
            arms.push(CaseArm { patterns, body });
            p.skip_blanks();
            if p.starts(";;&") {
                p.pos += 3;
            } else if p.starts(";;") || p.starts(";&") {
                p.pos += 2;
            } else if p.peek() == Some(b')') {
                p.issue(p.pos, p.pos + 1, "unexpected `)` in case");
                p.pos += 1;
            }
            if p.pos == before {
                p.bump_char();
            }
        });
        let redirects = self.parse_redirects();
        Command::Case {
            word,
            arms,
            redirects,
            span: self.span(start, self.pos),
        }
    }

    fn parse_test(&mut self) -> Command {
        let start = self.pos;
        self.pos += 2;
        let mut words = Vec::new();
        loop {
            if self.at_end_of(start, "]]", "`[[` without `]]`") {
                break;
            }
            if self.starts("&&") || self.starts("||") {
                self.pos += 2;
                continue;
            }
            match self.peek() {
                Some(b'(' | b')' | b'<' | b'>' | b'!' | b';' | b'&' | b'|') => self.pos += 1,
                _ => match self.read_word() {
                    Some(w) => words.push(w),
                    None => {
                        self.bump_char();
                    }
                },
            }
        }
        let _ = self.parse_redirects();
        Command::Test {
            words,
            span: self.span(start, self.pos),
        }
    }

    fn parse_function_keyword(&mut self) -> Command {
        let start = self.pos;
        self.pos += "function".len();
        self.skip_blanks();
        let name = self
            .read_word()
            .map(|w| w.value().to_string())
            .unwrap_or_default();
        self.skip_blanks();
        self.eat_empty_parens();
        self.function_body(name, start)
    }

    /// Consumes `()` (blanks allowed inside) when it is at the cursor.
    fn eat_empty_parens(&mut self) -> bool {
        if self.peek() != Some(b'(') {
            return false;
        }
        let save = self.pos;
        self.pos += 1;
        self.skip_blanks();
        if self.peek() == Some(b')') {
            self.pos += 1;
            true
        } else {
            self.pos = save;
            false
        }
    }

    fn function_body(&mut self, name: String, start: usize) -> Command {
        self.skip_linebreaks();
        let body = self.nested(|p| p.parse_command());
        Command::Function {
            name,
            body: Box::new(body),
            span: self.span(start, self.pos),
        }
    }

    fn parse_arith_command(&mut self) -> Command {
        let start = self.pos;
        self.pos += 2;
        let inner = self.pos;
        let end = self.skip_balanced_parens(2);
        let text = self.src[inner..end.max(inner)]
            .strip_suffix(')')
            .unwrap_or(&self.src[inner..end.max(inner)])
            .to_string();
        let _ = self.parse_redirects();
        Command::Arith {
            text,
            span: self.span(start, self.pos),
        }
    }

    /// With the cursor after `open` opening parens, skips to after the
    /// matching closer (quotes respected); returns where that closer is.
    fn skip_balanced_parens(&mut self, open: usize) -> usize {
        let start = self.pos;
        let mut depth = open;
        while let Some(c) = self.peek() {
            match c {
                b'(' => depth += 1,
                b')' => {
                    depth -= 1;
                    if depth == 0 {
                        self.pos += 1;
                        return self.pos - 1;
                    }
                }
                b'\\' => self.pos += 1,
                b'\'' => {
                    self.pos += 1;
                    while !matches!(self.peek(), None | Some(b'\'')) {
                        self.pos += 1;
                    }
                }
                b'"' => {
                    self.pos += 1;
                    while !matches!(self.peek(), None | Some(b'"')) {
                        if self.peek() == Some(b'\\') {
                            self.pos += 1;
                        }
                        self.pos += 1;
                    }
                }
                _ => {}
            }
            self.step();
        }
        self.issue(start, self.pos, "`((` not closed");
        self.pos
    }

    fn parse_redirects(&mut self) -> Vec<Redirect> {
        let mut out = Vec::new();
        loop {
            self.skip_blanks();
            match self.try_redirect() {
                Some(r) => out.push(r),
                None => return out,
            }
        }
    }

    /// A redirection at the cursor (with its fd number), if there is one.
    fn try_redirect(&mut self) -> Option<Redirect> {
        let start = self.pos;
        let mut i = self.pos;
        while self.b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        let fd = if i > self.pos {
            // Digits are an fd only right before `<` or `>`.
            if !matches!(self.b.get(i), Some(b'<' | b'>')) {
                return None;
            }
            self.src[self.pos..i].parse().ok()
        } else {
            None
        };
        let rest = self.b.get(i..)?;
        // Process substitution is a word, not a redirection.
        if rest.starts_with(b"<(") || rest.starts_with(b">(") {
            return None;
        }
        const OPS: &[&str] = &[
            "&>>", "<<<", "<<-", "&>", ">>", "<<", ">&", "<&", "<>", ">|", "<", ">",
        ];
        let op = OPS
            .iter()
            .copied()
            .find(|op| rest.starts_with(op.as_bytes()))?;
        if op.starts_with('&') && fd.is_some() {
            return None;
        }
        self.pos = i + op.len();
        self.skip_blanks();
        let target = match self.read_word() {
            Some(w) => w,
            None => {
                self.issue(start, self.pos, "redirection without a target");
                Word::new(self.span(self.pos, self.pos), Vec::new())
            }
        };
        let heredoc = if op == "<<" || op == "<<-" {
            let idx = self.arena.heredocs.len();
            self.arena.heredocs.push(HereDoc {
                delimiter: target.value().to_string(),
                quoted: target.is_quoted(),
                strip_tabs: op == "<<-",
                body: String::new(),
                span: self.span(self.pos, self.pos),
            });
            self.pending.push(idx);
            Some(idx)
        } else {
            None
        };
        Some(Redirect {
            fd,
            op,
            target,
            heredoc,
            span: self.span(start, self.pos),
        })
    }

    fn parse_simple(&mut self) -> Command {
        let idx = self.arena.commands.len();
        let start = self.pos;
        self.arena.commands.push(SimpleCommand {
            span: self.span(start, start),
            assignments: Vec::new(),
            words: Vec::new(),
            redirects: Vec::new(),
            in_substitution: self.in_subst,
            in_nested_shell: self.in_nested_shell,
            chain: Vec::new(),
            flags: Vec::new(),
        });
        let mut assignments = Vec::new();
        let mut words: Vec<Word> = Vec::new();
        let mut redirects = Vec::new();
        let mut end = start;
        loop {
            self.skip_blanks();
            match self.peek() {
                // `&>` is a redirection, not a background `&`.
                None | Some(b'\n' | b';' | b'&' | b'|' | b')') if !self.starts("&>") => break,
                Some(b'(') => {
                    // `name ( )` defines a function.
                    if words.len() == 1
                        && assignments.is_empty()
                        && redirects.is_empty()
                        && self.eat_empty_parens()
                    {
                        let name = words
                            .pop()
                            .map(|w| w.value().to_string())
                            .unwrap_or_default();
                        self.arena.commands.truncate(idx);
                        return self.function_body(name, start);
                    }
                    // A stray `(` in the middle of a command: a syntax
                    // error to the shell; read it as text.
                    let p = self.pos;
                    self.issue(p, p + 1, "unexpected `(`");
                    self.pos += 1;
                    let w = Word::new(self.span(p, p + 1), vec![Part::Lit("(".into())]);
                    end = self.pos;
                    words.push(w);
                    continue;
                }
                _ => {}
            }
            if let Some(r) = self.try_redirect() {
                end = self.pos;
                redirects.push(r);
                continue;
            }
            if words.is_empty() {
                if let Some(a) = self.try_assignment() {
                    end = self.pos;
                    assignments.push(a);
                    continue;
                }
            }
            let before = self.pos;
            match self.read_word() {
                Some(w) => {
                    end = self.pos;
                    words.push(w);
                }
                None => {
                    if self.pos == before {
                        self.issue(before, before + 1, "unexpected character");
                        self.bump_char();
                    }
                }
            }
        }
        let cmd = SimpleCommand {
            span: self.span(start, end),
            assignments,
            words,
            redirects,
            in_substitution: self.in_subst,
            in_nested_shell: self.in_nested_shell,
            chain: Vec::new(),
            flags: Vec::new(),
        }
        .finish();
        if self.opts.nested_shells && self.depth < MAX_DEPTH {
            self.parse_shell_c(&cmd);
        }
        if let Some(slot) = self.arena.commands.get_mut(idx) {
            *slot = cmd;
        }
        Command::Simple(idx)
    }

    /// Parses the literal script of `sh -c '…'` into the arena. Its pipes
    /// are not recorded: the script runs in a shell of its own, where the
    /// `SHELL`'s options do not apply.
    fn parse_shell_c(&mut self, cmd: &SimpleCommand) {
        let Some(word) = cmd.shell_c_script() else {
            return;
        };
        let Some(text) = word.literal() else { return };
        // Spans point into the word: close enough for a report.
        let base = word.span.start + usize::from(word.is_quoted());
        let pipes = self.arena.pipes.len();
        let arena = std::mem::take(&mut self.arena);
        let mut sub = Parser::new(text, base, arena, self.opts, self.depth + 1);
        sub.in_subst = self.in_subst;
        sub.in_nested_shell = true;
        let _ = sub.parse_list(Ctx::Top);
        sub.finish_heredocs();
        self.arena = sub.arena;
        self.arena.pipes.truncate(pipes);
    }

    fn try_assignment(&mut self) -> Option<Assignment> {
        let start = self.pos;
        let rest = &self.b[self.pos..];
        let mut i = 0;
        if !rest
            .first()
            .is_some_and(|c| *c == b'_' || c.is_ascii_alphabetic())
        {
            return None;
        }
        while rest
            .get(i)
            .is_some_and(|c| *c == b'_' || c.is_ascii_alphanumeric())
        {
            i += 1;
        }
        let name = &self.src[start..start + i];
        // `a[idx]=v`
        if rest.get(i) == Some(&b'[') {
            while !matches!(rest.get(i), None | Some(b']')) {
                i += 1;
            }
            i += 1;
        }
        let append = rest.get(i) == Some(&b'+');
        if append {
            i += 1;
        }
        if rest.get(i) != Some(&b'=') {
            return None;
        }
        self.pos = start + i + 1;
        let value = if self.peek() == Some(b'(') {
            // An array: `a=(x y z)`.
            let vstart = self.pos;
            self.pos += 1;
            let mut parts = Vec::new();
            loop {
                self.skip_linebreaks();
                match self.peek() {
                    None => {
                        self.issue(vstart, self.pos, "array not closed");
                        break;
                    }
                    Some(b')') => {
                        self.pos += 1;
                        break;
                    }
                    _ => match self.read_word() {
                        Some(w) => parts.push(w),
                        None => {
                            self.bump_char();
                        }
                    },
                }
            }
            let raw = self.src[vstart..self.pos].to_string();
            Word::new(self.span(vstart, self.pos), vec![Part::Lit(raw)])
        } else {
            self.read_word()
                .unwrap_or_else(|| Word::new(self.span(self.pos, self.pos), Vec::new()))
        };
        Some(Assignment {
            name: name.to_string(),
            value,
            append,
            span: self.span(start, self.pos),
        })
    }

    /// Reads one word; `None` when the cursor is at a metacharacter.
    fn read_word(&mut self) -> Option<Word> {
        let start = self.pos;
        let mut parts = Vec::new();
        let mut lit = String::new();
        while let Some(c) = self.peek() {
            match c {
                b' ' | b'\t' | b'\r' | b'\n' | b';' | b'&' | b'|' | b')' => break,
                b'<' | b'>' => {
                    if self.peek_at(1) == Some(b'(') {
                        flush(&mut lit, &mut parts);
                        parts.push(self.read_proc_sub());
                    } else {
                        break;
                    }
                }
                b'(' => {
                    // Extended globs `@(a|b)`, `!(x)`: part of the word.
                    if matches!(lit.chars().last(), Some('@' | '!' | '+' | '*' | '?')) {
                        let s = self.pos;
                        self.pos += 1;
                        self.skip_balanced_parens(1);
                        lit.push_str(&self.src[s..self.pos]);
                    } else {
                        break;
                    }
                }
                b'\\' => {
                    self.pos += 1;
                    match self.peek() {
                        Some(b'\n') => self.pos += 1,
                        None => lit.push('\\'),
                        Some(_) => {
                            let ch = self.bump_char();
                            flush(&mut lit, &mut parts);
                            parts.push(Part::Escaped(ch.to_string()));
                        }
                    }
                }
                b'\'' => {
                    flush(&mut lit, &mut parts);
                    parts.push(Part::Single(self.read_single()));
                }
                b'"' => {
                    flush(&mut lit, &mut parts);
                    let p = self.read_double();
                    parts.push(p);
                }
                b'`' => {
                    flush(&mut lit, &mut parts);
                    parts.push(self.read_backtick());
                }
                b'$' => match self.read_dollar() {
                    Some(p) => {
                        flush(&mut lit, &mut parts);
                        parts.push(p);
                    }
                    None => {
                        lit.push('$');
                    }
                },
                _ => {
                    let s = self.pos;
                    while self.peek().is_some_and(|c| !is_special_in_word(c)) {
                        self.pos += 1;
                    }
                    if self.pos == s {
                        self.bump_char();
                    }
                    lit.push_str(&self.src[s..self.pos]);
                }
            }
        }
        flush(&mut lit, &mut parts);
        if self.pos == start {
            return None;
        }
        Some(Word::new(self.span(start, self.pos), parts))
    }

    fn read_single(&mut self) -> String {
        let start = self.pos;
        self.pos += 1;
        let inner = self.pos;
        while !matches!(self.peek(), None | Some(b'\'')) {
            self.pos += 1;
        }
        let text = self.src[inner..self.pos].to_string();
        if self.peek() == Some(b'\'') {
            self.pos += 1;
        } else {
            self.issue(start, self.pos, "unterminated single quote");
        }
        text
    }

    fn read_double(&mut self) -> Part {
        let start = self.pos;
        self.pos += 1;
        let mut parts = Vec::new();
        let mut lit = String::new();
        loop {
            match self.peek() {
                None => {
                    self.issue(start, self.pos, "unterminated double quote");
                    break;
                }
                Some(b'"') => {
                    self.pos += 1;
                    break;
                }
                Some(b'\\') => {
                    self.pos += 1;
                    match self.peek() {
                        Some(b'\n') => self.pos += 1,
                        Some(c @ (b'$' | b'`' | b'"' | b'\\')) => {
                            self.pos += 1;
                            lit.push(c as char);
                        }
                        _ => lit.push('\\'),
                    }
                }
                Some(b'`') => {
                    flush_double(&mut lit, &mut parts);
                    parts.push(self.read_backtick());
                }
                Some(b'$') => match self.read_dollar() {
                    Some(p) => {
                        flush_double(&mut lit, &mut parts);
                        parts.push(p);
                    }
                    None => lit.push('$'),
                },
                Some(_) => {
                    let s = self.pos;
                    while self
                        .peek()
                        .is_some_and(|c| !matches!(c, b'"' | b'\\' | b'`' | b'$'))
                    {
                        self.pos += 1;
                    }
                    lit.push_str(&self.src[s..self.pos]);
                }
            }
        }
        flush_double(&mut lit, &mut parts);
        Part::Double(parts)
    }

    /// At `$`: an expansion, or `None` (cursor past the `$`) when the `$`
    /// is literal.
    fn read_dollar(&mut self) -> Option<Part> {
        let start = self.pos;
        self.pos += 1;
        match self.peek() {
            Some(b'(') if self.peek_at(1) == Some(b'(') => {
                self.pos += 2;
                self.skip_balanced_parens(2);
                Some(Part::Arith {
                    raw: self.src[start..self.pos].to_string(),
                })
            }
            Some(b'(') => {
                self.pos += 1;
                let body = self.substitution(|p| p.parse_list(Ctx::Paren));
                if self.peek() == Some(b')') {
                    self.pos += 1;
                } else {
                    self.issue(start, self.pos, "`$(` not closed");
                }
                Some(Part::CmdSub {
                    raw: self.src[start..self.pos].to_string(),
                    body,
                })
            }
            Some(b'{') => {
                self.pos += 1;
                let name_start = self.pos;
                // `${#v}`, `${!v}`: length / indirection.
                if matches!(self.peek(), Some(b'#' | b'!'))
                    && self.peek_at(1).is_some_and(is_name_byte)
                {
                    self.pos += 1;
                }
                let n0 = self.pos;
                while self.peek().is_some_and(is_name_byte) {
                    self.pos += 1;
                }
                if self.pos == n0 && self.peek().is_some_and(is_special_param) {
                    self.pos += 1;
                }
                let name = self.src[n0..self.pos].to_string();
                let _ = name_start;
                self.skip_brace_body(start);
                Some(Part::Param {
                    name,
                    raw: self.src[start..self.pos].to_string(),
                })
            }
            Some(b'\'') => {
                let text = self.read_single();
                Some(Part::AnsiC(ansi_c(&text)))
            }
            Some(b'"') => {
                // `$"…"` (locale translation): a double-quoted string.
                Some(self.read_double())
            }
            Some(c) if c == b'_' || c.is_ascii_alphabetic() => {
                let n0 = self.pos;
                while self.peek().is_some_and(is_name_byte) {
                    self.pos += 1;
                }
                Some(Part::Param {
                    name: self.src[n0..self.pos].to_string(),
                    raw: self.src[start..self.pos].to_string(),
                })
            }
            Some(c) if c.is_ascii_digit() || is_special_param(c) => {
                self.pos += 1;
                Some(Part::Param {
                    name: (c as char).to_string(),
                    raw: self.src[start..self.pos].to_string(),
                })
            }
            _ => None,
        }
    }

    /// Skips the rest of `${…}` up to its matching `}` (quotes and nested
    /// expansions respected).
    fn skip_brace_body(&mut self, start: usize) {
        let mut depth = 1usize;
        while let Some(c) = self.peek() {
            match c {
                b'}' => {
                    self.pos += 1;
                    depth -= 1;
                    if depth == 0 {
                        return;
                    }
                    continue;
                }
                b'{' => depth += 1,
                b'\\' => self.pos += 1,
                b'\'' => {
                    let _ = self.read_single();
                    continue;
                }
                b'"' if self.depth < MAX_DEPTH => {
                    let _ = self.nested(|p| p.read_double());
                    continue;
                }
                b'$' if self.depth < MAX_DEPTH && self.peek_at(1) == Some(b'(') => {
                    let _ = self.nested(|p| p.read_dollar());
                    continue;
                }
                b'`' if self.depth < MAX_DEPTH => {
                    let _ = self.nested(|p| p.read_backtick());
                    continue;
                }
                _ => {}
            }
            self.step();
        }
        self.issue(start, self.pos, "`${` not closed");
    }

    /// Runs `f` as the body of a substitution: one level deeper, commands
    /// marked as substituted.
    fn substitution<T>(&mut self, f: impl FnOnce(&mut Self) -> T) -> T {
        if self.depth >= MAX_DEPTH {
            // Too deep: skip the text.
            let mut depth = 1usize;
            while let Some(c) = self.peek() {
                match c {
                    b'(' => depth += 1,
                    b')' => {
                        depth -= 1;
                        if depth == 0 {
                            break;
                        }
                    }
                    _ => {}
                }
                self.pos += 1;
            }
            return f(&mut Parser::new(
                "",
                self.base + self.pos,
                Arena::default(),
                self.opts,
                MAX_DEPTH,
            ));
        }
        let saved = self.in_subst;
        self.in_subst = true;
        let r = self.nested(f);
        self.in_subst = saved;
        r
    }

    fn read_backtick(&mut self) -> Part {
        let start = self.pos;
        self.pos += 1;
        let inner = self.pos;
        let mut text = String::new();
        let mut escaped = false;
        loop {
            match self.peek() {
                None => {
                    self.issue(start, self.pos, "unterminated backquote");
                    break;
                }
                Some(b'`') => break,
                Some(b'\\') if matches!(self.peek_at(1), Some(b'$' | b'`' | b'\\')) => {
                    escaped = true;
                    self.pos += 1;
                    text.push_str(self.bump_char());
                }
                Some(_) => text.push_str(self.bump_char()),
            }
        }
        let inner_end = self.pos;
        if self.peek() == Some(b'`') {
            self.pos += 1;
        }
        let raw = self.src[start..self.pos].to_string();
        if self.depth >= MAX_DEPTH {
            return Part::CmdSub {
                raw,
                body: List::default(),
            };
        }
        // Without escapes the text is the source: parse it in place for
        // exact spans; otherwise parse the unescaped copy.
        let body = if !escaped {
            let saved = (self.pos, self.b, self.src);
            let src = &self.src[..inner_end];
            self.src = src;
            self.b = src.as_bytes();
            self.pos = inner;
            let body = self.substitution(|p| p.parse_list(Ctx::Top));
            (self.pos, self.b, self.src) = saved;
            body
        } else {
            let arena = std::mem::take(&mut self.arena);
            let mut sub = Parser::new(&text, self.base + inner, arena, self.opts, self.depth + 1);
            sub.in_subst = true;
            sub.in_nested_shell = self.in_nested_shell;
            let body = sub.parse_list(Ctx::Top);
            sub.finish_heredocs();
            let arena = sub.arena;
            self.arena = arena;
            body
        };
        Part::CmdSub { raw, body }
    }

    fn read_proc_sub(&mut self) -> Part {
        let start = self.pos;
        self.pos += 2;
        let body = self.substitution(|p| p.parse_list(Ctx::Paren));
        if self.peek() == Some(b')') {
            self.pos += 1;
        } else {
            self.issue(start, self.pos, "process substitution not closed");
        }
        Part::ProcSub {
            raw: self.src[start..self.pos].to_string(),
            body,
        }
    }
}

/// Parses the here-documents fed to shells reading their script from stdin
/// (`bash <<EOF`), commands found inside included.
fn parse_stdin_scripts(mut arena: Arena, opts: Options) -> Arena {
    // Bounds the work on hostile input (here-documents feeding shells fed
    // here-documents…).
    const MAX_SCRIPTS: usize = 64;
    let mut done = 0;
    let mut i = 0;
    while i < arena.commands.len() && done < MAX_SCRIPTS {
        let c = &arena.commands[i];
        i += 1;
        if !c.reads_script_from_stdin() {
            continue;
        }
        let Some(doc) = c
            .redirects
            .iter()
            .filter(|r| matches!(r.fd, None | Some(0)) && r.op.starts_with("<<"))
            .filter_map(|r| r.heredoc)
            .next_back()
        else {
            continue;
        };
        let Some(doc) = arena.heredocs.get(doc) else {
            continue;
        };
        let (body, base, in_subst) = (doc.body.clone(), doc.span.start, c.in_substitution);
        done += 1;
        let pipes = arena.pipes.len();
        let mut sub = Parser::new(&body, base, arena, opts, 1);
        sub.in_subst = in_subst;
        sub.in_nested_shell = true;
        let _ = sub.parse_list(Ctx::Top);
        sub.finish_heredocs();
        arena = sub.arena;
        arena.pipes.truncate(pipes);
    }
    arena
}

/// Keeps a span inside `src` and on character boundaries.
fn fix_span(r: &mut Range<usize>, src: &str) {
    let snap = |mut i: usize| {
        i = i.min(src.len());
        while !src.is_char_boundary(i) {
            i -= 1;
        }
        i
    };
    r.start = snap(r.start);
    r.end = snap(r.end).max(r.start);
}

fn visit_command_spans(c: &mut SimpleCommand, f: &impl Fn(&mut Range<usize>)) {
    f(&mut c.span);
    c.words.iter_mut().for_each(|w| visit_word_spans(w, f));
    for a in &mut c.assignments {
        f(&mut a.span);
        visit_word_spans(&mut a.value, f);
    }
    visit_redirect_spans(&mut c.redirects, f);
}

fn visit_redirect_spans(rs: &mut [Redirect], f: &impl Fn(&mut Range<usize>)) {
    for r in rs {
        f(&mut r.span);
        visit_word_spans(&mut r.target, f);
    }
}

fn visit_word_spans(w: &mut Word, f: &impl Fn(&mut Range<usize>)) {
    f(&mut w.span);
    fn parts(ps: &mut [Part], f: &impl Fn(&mut Range<usize>)) {
        for p in ps {
            match p {
                Part::Double(inner) => parts(inner, f),
                Part::CmdSub { body, .. } | Part::ProcSub { body, .. } => visit_list_spans(body, f),
                _ => {}
            }
        }
    }
    parts(&mut w.parts, f);
}

fn visit_list_spans(l: &mut List, f: &impl Fn(&mut Range<usize>)) {
    for item in &mut l.items {
        let ao = &mut item.and_or;
        std::iter::once(&mut ao.first)
            .chain(ao.rest.iter_mut().map(|(_, p)| p))
            .flat_map(|p| p.commands.iter_mut())
            .for_each(|c| visit_compound_spans(c, f));
    }
}

fn visit_compound_spans(c: &mut Command, f: &impl Fn(&mut Range<usize>)) {
    match c {
        Command::Simple(_) => {}
        Command::Subshell {
            body,
            redirects,
            span,
        }
        | Command::Group {
            body,
            redirects,
            span,
        } => {
            f(span);
            visit_list_spans(body, f);
            visit_redirect_spans(redirects, f);
        }
        Command::If {
            branches,
            otherwise,
            redirects,
            span,
        } => {
            f(span);
            for (c, b) in branches {
                visit_list_spans(c, f);
                visit_list_spans(b, f);
            }
            if let Some(o) = otherwise {
                visit_list_spans(o, f);
            }
            visit_redirect_spans(redirects, f);
        }
        Command::For {
            words,
            body,
            redirects,
            span,
            ..
        } => {
            f(span);
            words
                .iter_mut()
                .flatten()
                .for_each(|w| visit_word_spans(w, f));
            visit_list_spans(body, f);
            visit_redirect_spans(redirects, f);
        }
        Command::While {
            cond,
            body,
            redirects,
            span,
            ..
        } => {
            f(span);
            visit_list_spans(cond, f);
            visit_list_spans(body, f);
            visit_redirect_spans(redirects, f);
        }
        Command::Case {
            word,
            arms,
            redirects,
            span,
        } => {
            f(span);
            visit_word_spans(word, f);
            for a in arms {
                a.patterns.iter_mut().for_each(|w| visit_word_spans(w, f));
                visit_list_spans(&mut a.body, f);
            }
            visit_redirect_spans(redirects, f);
        }
        Command::Function { body, span, .. } => {
            f(span);
            visit_compound_spans(body, f);
        }
        Command::Arith { span, .. } => f(span),
        Command::Test { words, span } => {
            f(span);
            words.iter_mut().for_each(|w| visit_word_spans(w, f));
        }
    }
}

fn reserved_static(w: &str) -> &'static str {
    RESERVED.iter().copied().find(|r| *r == w).unwrap_or("")
}

fn flush(lit: &mut String, parts: &mut Vec<Part>) {
    if !lit.is_empty() {
        parts.push(Part::Lit(std::mem::take(lit)));
    }
}

fn flush_double(lit: &mut String, parts: &mut Vec<Part>) {
    if !lit.is_empty() {
        parts.push(Part::Single(std::mem::take(lit)));
    }
}

fn is_blank(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\r')
}

/// Characters that end a word.
fn is_meta(c: u8) -> bool {
    matches!(
        c,
        b' ' | b'\t' | b'\r' | b'\n' | b';' | b'&' | b'|' | b'<' | b'>' | b'(' | b')'
    )
}

/// Characters that end a run of plain word text.
fn is_special_in_word(c: u8) -> bool {
    is_meta(c) || matches!(c, b'\\' | b'\'' | b'"' | b'`' | b'$')
}

fn is_name_byte(c: u8) -> bool {
    c == b'_' || c.is_ascii_alphanumeric()
}

fn is_special_param(c: u8) -> bool {
    matches!(c, b'@' | b'*' | b'#' | b'?' | b'-' | b'$' | b'!')
}

/// Processes the escapes of a `$'…'` string (the common ones).
fn ansi_c(s: &str) -> String {
    let mut out = String::new();
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('r') => out.push('\r'),
            Some('e' | 'E') => out.push('\u{1b}'),
            Some('a') => out.push('\u{7}'),
            Some('b') => out.push('\u{8}'),
            Some('f') => out.push('\u{c}'),
            Some('v') => out.push('\u{b}'),
            Some('0') => out.push('\0'),
            Some(o) => out.push(o),
            None => out.push('\\'),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const NESTED: Options = Options {
        nested_shells: true,
    };

    /// The effective argv of every command, as strings.
    fn argvs(src: &str) -> Vec<Vec<String>> {
        parse(src)
            .commands
            .iter()
            .filter(|c| !c.words.is_empty())
            .map(|c| c.words.iter().map(|w| w.value().to_string()).collect())
            .collect()
    }

    fn names(src: &str) -> Vec<String> {
        parse(src)
            .commands
            .iter()
            .filter_map(SimpleCommand::name)
            .map(str::to_string)
            .collect()
    }

    #[test]
    fn simple_commands_joined_every_way() {
        let src = "a 1 && b 2 || c; d & e | f |& g\nh";
        assert_eq!(names(src), ["a", "b", "c", "d", "e", "f", "g", "h"]);
        let s = parse(src);
        assert!(s.issues.is_empty(), "{:?}", s.issues);
        assert_eq!(s.pipes.len(), 2);
        let items = &s.body.items;
        assert_eq!(items.len(), 4);
        assert_eq!(items[0].sep, Sep::Semi);
        assert_eq!(
            items[0].and_or.rest.iter().map(|r| r.0).collect::<Vec<_>>(),
            [Connector::And, Connector::Or]
        );
        assert_eq!(items[1].sep, Sep::Amp);
        assert_eq!(items[2].and_or.first.commands.len(), 3);
        assert_eq!(items[2].sep, Sep::Newline);
    }

    #[test]
    fn quotes_are_removed_and_remembered() {
        let s = parse(r#"echo 'a b' "c $X d" e\ f "g"h $'i\tj' """#);
        let w = &s.commands[0].words;
        let v: Vec<_> = w.iter().map(Word::value).collect();
        assert_eq!(v, ["echo", "a b", "c $X d", "e f", "gh", "i\tj", ""]);
        assert!(!w[0].is_quoted());
        assert!(w[1].is_quoted() && !w[1].has_expansion());
        assert!(w[2].has_expansion());
        assert_eq!(w[2].vars(), ["X"]);
        assert_eq!(w[2].literal(), None);
        assert!(w[3].is_quoted());
        assert_eq!(s.text(&w[1].span), "'a b'");
    }

    #[test]
    fn expansions_are_kept_as_written() {
        let s = parse(
            "apt-get install -y curl=${CURL_VERSION} git=$GIT_V x=$(cat v) y=$((1+2)) z=`echo q`",
        );
        let v = s.commands[0].argv().arg_values();
        assert_eq!(
            v,
            [
                "install",
                "-y",
                "curl=${CURL_VERSION}",
                "git=$GIT_V",
                "x=$(cat v)",
                "y=$((1+2))",
                "z=`echo q`"
            ]
        );
        assert_eq!(s.commands[0].words[3].vars(), ["CURL_VERSION"]);
        // The commands inside substitutions are commands too, after the
        // outer one.
        assert_eq!(names(&s.source), ["apt-get", "cat", "echo"]);
        assert!(s.commands[1].in_substitution);
        assert!(!s.commands[0].in_substitution);
    }

    #[test]
    fn nested_substitutions_and_quotes() {
        let src = r#"echo "$(dirname "$(readlink -f "$0")")" `basename \`pwd\``"#;
        assert_eq!(
            names(src),
            ["echo", "dirname", "readlink", "basename", "pwd"]
        );
        assert!(parse(src).issues.is_empty());
    }

    #[test]
    fn parameter_expansion_forms() {
        let s = parse(r#"echo ${a:-x y} ${#b} ${c//\//_} ${d%%"}"*} $1 $@ $? ${e:+"$(f)"} $$"#);
        let v = s.commands[0].argv().arg_values();
        assert_eq!(v[0], "${a:-x y}");
        assert_eq!(v[1], "${#b}");
        assert_eq!(v[2], r"${c//\//_}");
        assert_eq!(v[3], r#"${d%%"}"*}"#);
        assert_eq!(&v[4..7], ["$1", "$@", "$?"]);
        assert_eq!(s.commands[0].words[1].vars(), ["a"]);
        assert_eq!(s.commands[0].words[2].vars(), ["b"]);
        assert_eq!(names(&s.source), ["echo", "f"]);
        assert!(s.issues.is_empty(), "{:?}", s.issues);
    }

    #[test]
    fn assignments_before_commands() {
        let s = parse(
            "DEBIAN_FRONTEND=noninteractive A+=1 arr=(x y) apt-get install -y foo; X=1; Y=$(id -u)",
        );
        let c = &s.commands[0];
        let a: Vec<_> = c
            .assignments
            .iter()
            .map(|a| (a.name.as_str(), a.value.value()))
            .collect();
        assert_eq!(
            a,
            [
                ("DEBIAN_FRONTEND", "noninteractive"),
                ("A", "1"),
                ("arr", "(x y)")
            ]
        );
        assert!(c.assignments[1].append);
        assert_eq!(c.name(), Some("apt-get"));
        // An assignment after the name is an argument.
        assert_eq!(argvs("env A=1 b C=2")[0], ["env", "A=1", "b", "C=2"]);
        // Assignment-only commands have no name.
        assert_eq!(s.commands[1].name(), None);
        assert_eq!(s.commands[2].assignments[0].name, "Y");
        assert_eq!(s.commands[3].name(), Some("id"));
    }

    #[test]
    fn redirections_are_not_arguments() {
        let s = parse("curl -fsSL x 2>/dev/null >out.txt 3>&1 &>>log <in foo >|f 2>&1");
        let c = &s.commands[0];
        assert_eq!(c.argv().arg_values(), ["-fsSL", "x", "foo"]);
        let ops: Vec<_> = c
            .redirects
            .iter()
            .map(|r| (r.fd, r.op, r.target.value()))
            .collect();
        assert_eq!(
            ops,
            [
                (Some(2), ">", "/dev/null"),
                (None, ">", "out.txt"),
                (Some(3), ">&", "1"),
                (None, "&>>", "log"),
                (None, "<", "in"),
                (None, ">|", "f"),
                (Some(2), ">&", "1"),
            ]
        );
        // A number not followed by a redirection is a word.
        assert_eq!(argvs("sleep 10 ; echo 2")[0], ["sleep", "10"]);
    }

    #[test]
    fn compound_commands() {
        let src = "if [ -f x ]; then a; elif b; then c; else d; fi\n\
                   for p in one \"two three\"; do e \"$p\"; done\n\
                   while read -r l; do f; done < list\n\
                   until g; do :; done\n\
                   case \"$ARCH\" in amd64|x86_64) h ;; arm*) i;; *) j ;; esac\n\
                   ( k; l ) && { m; n; }\n\
                   fn() { o; }\nfunction q { r; }\n\
                   [[ -n $X && $Y == z ]] && s\n\
                   (( i++ )) || t\n\
                   for ((i=0;i<3;i++)); do u; done";
        let s = parse(src);
        assert!(s.issues.is_empty(), "{:?}", s.issues);
        assert_eq!(
            names(src),
            [
                "[", "a", "b", "c", "d", "e", "read", "f", "g", ":", "h", "i", "j", "k", "l", "m",
                "n", "o", "r", "s", "t", "u"
            ]
        );
        let kinds: Vec<_> = s
            .body
            .items
            .iter()
            .map(|i| match &i.and_or.first.commands[0] {
                Command::Simple(_) => "simple",
                Command::If { .. } => "if",
                Command::For { .. } => "for",
                Command::While { until: false, .. } => "while",
                Command::While { until: true, .. } => "until",
                Command::Case { .. } => "case",
                Command::Subshell { .. } => "subshell",
                Command::Group { .. } => "group",
                Command::Function { .. } => "function",
                Command::Arith { .. } => "arith",
                Command::Test { .. } => "test",
            })
            .collect();
        assert_eq!(
            kinds,
            [
                "if", "for", "while", "until", "case", "subshell", "function", "function", "test",
                "arith", "for"
            ]
        );
        if let Command::For {
            var,
            words: Some(w),
            ..
        } = &s.body.items[1].and_or.first.commands[0]
        {
            assert_eq!(var, "p");
            assert_eq!(
                w.iter().map(Word::value).collect::<Vec<_>>(),
                ["one", "two three"]
            );
        } else {
            panic!("not a for");
        }
        if let Command::Case { arms, .. } = &s.body.items[4].and_or.first.commands[0] {
            let pats: Vec<Vec<String>> = arms
                .iter()
                .map(|a| a.patterns.iter().map(|w| w.value().to_string()).collect())
                .collect();
            assert_eq!(pats, [vec!["amd64", "x86_64"], vec!["arm*"], vec!["*"]]);
        } else {
            panic!("not a case");
        }
    }

    #[test]
    fn keywords_are_words_outside_command_position() {
        assert_eq!(
            argvs("echo if then fi done { }")[0],
            ["echo", "if", "then", "fi", "done", "{", "}"]
        );
        assert_eq!(argvs("echo {a,b}")[0], ["echo", "{a,b}"]);
    }

    #[test]
    fn comments_and_continuations() {
        let s = parse(
            "apt-get update \\\n && apt-get install -y \\\n   curl # the client\n# whole line\nls",
        );
        assert_eq!(names(&s.source), ["apt-get", "apt-get", "ls"]);
        assert_eq!(s.commands[1].argv().arg_values(), ["install", "-y", "curl"]);
        assert_eq!(s.comments.len(), 2);
        assert_eq!(s.text(&s.comments[0]), "# the client");
        // `#` inside a word is not a comment.
        assert_eq!(argvs("echo a#b")[0], ["echo", "a#b"]);
    }

    #[test]
    fn heredocs_inside_scripts() {
        let src = "cat <<EOF >/etc/x\nline $A\n  EOF not yet\nEOF\ncat <<-'END' | tee y\n\tquoted $B\n\tEND\necho done";
        let s = parse(src);
        assert!(s.issues.is_empty(), "{:?}", s.issues);
        assert_eq!(names(src), ["cat", "cat", "tee", "echo"]);
        assert_eq!(s.heredocs.len(), 2);
        assert_eq!(s.heredocs[0].delimiter, "EOF");
        assert_eq!(s.heredocs[0].body, "line $A\n  EOF not yet\n");
        assert!(!s.heredocs[0].quoted);
        assert_eq!(s.heredocs[1].body, "quoted $B\n");
        assert!(s.heredocs[1].quoted && s.heredocs[1].strip_tabs);
        assert_eq!(s.commands[0].redirects[0].heredoc, Some(0));
        assert_eq!(s.commands[0].redirects[1].target.value(), "/etc/x");
        assert_eq!(s.pipes.len(), 1);
        // A here-string is a redirection with a word.
        let s = parse("grep -q x <<< \"$V\"");
        assert_eq!(s.commands[0].redirects[0].op, "<<<");
    }

    #[test]
    fn process_substitution() {
        let s = parse("diff <(sort a) >(tee b)");
        assert_eq!(names(&s.source), ["diff", "sort", "tee"]);
        assert!(s.commands[1].in_substitution);
    }

    #[test]
    fn options_short_long_and_values() {
        let s = parse("apt-get -qy --no-install-recommends -o Dpkg::Options::=--force-confnew install --target-release=bookworm-backports -t x foo bar=1");
        let c = s.commands[0].argv();
        assert!(c.has_flag("y") && c.has_flag("q") && c.has_flag("no-install-recommends"));
        assert!(!c.has_flag("no-cache"));
        assert_eq!(c.count_flag("q"), 1);
        assert_eq!(c.flag_values("target-release"), ["bookworm-backports"]);
        assert_eq!(c.flag_values("t"), ["x"]);
        assert_eq!(c.flag_values("o"), ["Dpkg::Options::=--force-confnew"]);
        assert_eq!(
            c.positional_values(&["o", "t"]),
            ["install", "foo", "bar=1"]
        );
        assert_eq!(c.subcommand(&["o", "t"]), Some("install"));
        // hadolint's reading: without knowing `-o` takes a value, its
        // value is an operand.
        assert_eq!(
            c.positional_values(&[]),
            [
                "Dpkg::Options::=--force-confnew",
                "install",
                "x",
                "foo",
                "bar=1"
            ]
        );
        assert_eq!(
            parse("apt-get -qq install").commands[0]
                .argv()
                .count_flag("q"),
            2
        );
    }

    #[test]
    fn wrappers_are_seen_through() {
        let eff = |src: &str| {
            let s = parse(src);
            let c = s.commands[0].effective().unwrap();
            (
                c.name().unwrap().to_string(),
                c.arg_values()
                    .iter()
                    .map(|s| s.to_string())
                    .collect::<Vec<_>>(),
            )
        };
        assert_eq!(
            eff("sudo -E -u root apt-get install x"),
            ("apt-get".into(), vec!["install".into(), "x".into()])
        );
        assert_eq!(eff("env -i A=1 B=2 pip install y").0, "pip");
        assert_eq!(eff("/usr/bin/env FOO=1 sudo apk add z").0, "apk");
        assert_eq!(eff("exec gosu nobody wget -q u").0, "wget");
        assert_eq!(eff("xargs -r -n 1 apt-get purge").0, "apt-get");
        assert_eq!(eff("timeout 10 curl x").0, "curl");
        assert_eq!(eff("nice -n 5 make").0, "make");
        // `command -v` looks a name up; it runs nothing.
        assert_eq!(eff("command -v curl").0, "command");
        // A wrapper alone is itself.
        assert_eq!(eff("sudo").0, "sudo");
        assert_eq!(eff("env").0, "env");
        let s = parse("sudo env X=1 apt-get update");
        assert_eq!(s.commands[0].wrappers(), ["sudo", "env"]);
        assert_eq!(s.commands_named("apt-get").count(), 1);
        assert_eq!(
            parse("/usr/bin/apt-get update")
                .commands_named("apt-get")
                .count(),
            1
        );
    }

    #[test]
    fn shell_c_scripts_on_request() {
        let src = "su-exec x sh -ec 'apt-get update && wget -q u | tar x' && bash -c \"cd /x\"";
        let plain = parse(src);
        assert_eq!(plain.commands.len(), 2);
        let s = parse_with(src, NESTED);
        let n: Vec<_> = s.commands.iter().filter_map(SimpleCommand::name).collect();
        assert_eq!(n, ["su-exec", "apt-get", "wget", "tar", "bash", "cd"]);
        assert!(s.commands[1].in_nested_shell && !s.commands[0].in_nested_shell);
        // The inner script's pipes run in a shell of their own.
        assert_eq!(s.pipes.len(), 0);
        // Spans stay inside the script word.
        for c in &s.commands {
            assert!(c.span.end <= src.len());
        }
        // A shell reading a here-document runs it as its script.
        let src = "bash -e <<'EOF'\napt-get update\ncurl x | sh\nEOF\npython3 <<EOF\nimport os\nEOF\nsh script.sh <<EOF\nnot a script\nEOF";
        let s = parse_with(src, NESTED);
        let n: Vec<_> = s.commands.iter().filter_map(SimpleCommand::name).collect();
        assert_eq!(n, ["bash", "python3", "sh", "apt-get", "curl", "sh"]);
        assert!(s.commands[3].in_nested_shell);
        assert_eq!(s.text(&s.commands[3].span), "apt-get update");
        assert_eq!(s.pipes.len(), 0);
        // Non-literal scripts are not parsed.
        let s = parse_with("sh -c \"$CMD\"", NESTED);
        assert_eq!(s.commands.len(), 1);
    }

    #[test]
    fn pipefail_tracking() {
        let s = parse("set -eux; curl x | sh");
        assert!(s.has_pipes() && !s.pipefail_before_pipes());
        let s = parse("set -euxo pipefail && curl x | sh");
        assert!(s.pipefail_before_pipes());
        let s = parse("set -o errexit -o pipefail; curl x | sh");
        assert!(s.pipefail_before_pipes());
        let s = parse("curl x | sh; set -o pipefail");
        assert!(!s.pipefail_before_pipes());
        let s = parse("set -o pipefail; set +o pipefail; a | b");
        assert!(!s.pipefail_before_pipes());
        assert!(!parse("a || b").has_pipes());
        assert!(parse("x=$(a | b)").has_pipes());
    }

    #[test]
    fn spans_index_the_source() {
        let src = "  FOO=1 apt-get  install \"x y\" 2>&1 && rm -rf /var/lib/apt/lists/*";
        let s = parse(src);
        let c = &s.commands[0];
        assert_eq!(s.text(&c.span), "FOO=1 apt-get  install \"x y\" 2>&1");
        assert_eq!(s.text(&c.words[2].span), "\"x y\"");
        assert_eq!(s.text(&s.commands[1].words[2].span), "/var/lib/apt/lists/*");
        assert!(s.commands[1].words[2].has_glob());
    }

    #[test]
    fn broken_input_gives_best_effort() {
        // Unterminated quote: the words before it still count.
        let s = parse("apt-get install -y foo \"bar && echo x");
        assert_eq!(s.commands[0].name(), Some("apt-get"));
        assert!(!s.issues.is_empty());
        for src in [
            "fi",
            "done",
            ")",
            "(",
            "{",
            "}",
            "if",
            "if x; then",
            "case x in",
            "for",
            "$(",
            "${",
            "`",
            "a &&",
            "| b",
            ";;",
            "a >",
            "<<EOF",
            "'",
            "\"",
            "\\",
            "$((",
            "[[ x",
            "a=(",
            "f() ",
            "echo $(( (1 + 2 )",
            "x; ) ; y",
            "case a in b) c;; ) d;; esac",
            "}}}{{{",
            "((((",
        ] {
            let s = parse(src);
            for c in &s.commands {
                assert!(c.span.end <= src.len(), "{src:?}");
            }
        }
        // Stray closers are skipped and parsing goes on.
        assert_eq!(names("a ) ; fi ; b"), ["a", "b"]);
    }

    #[test]
    fn deep_nesting_does_not_overflow() {
        let deep = "$(".repeat(5000) + "x" + &")".repeat(5000);
        let s = parse(&format!("echo {deep}"));
        assert_eq!(s.commands[0].name(), Some("echo"));
        let deep = "(".repeat(5000);
        let _ = parse(&deep);
        let deep = "\"$(".repeat(3000);
        let _ = parse(&deep);
        let deep = "${".repeat(3000) + "`".repeat(3000).as_str();
        let _ = parse(&deep);
        let deep = "if ".repeat(3000);
        let _ = parse(&deep);
        let deep = "{ ".repeat(3000);
        let _ = parse(&deep);
    }

    #[test]
    fn windows_line_endings() {
        let s = parse("apt-get update \\\r\n && apt-get install -y x\r\n");
        assert_eq!(names(&s.source), ["apt-get", "apt-get"]);
        assert_eq!(s.commands[1].argv().arg_values(), ["install", "-y", "x"]);
    }

    const FUZZ_ROUNDS: usize = 3000;

    /// Random text (biased to shell syntax) never panics, always ends, and
    /// gives spans on character boundaries inside the text.
    #[test]
    fn fuzz_random_inputs() {
        const ALPHABET: &[&str] = &[
            " ",
            " ",
            "a",
            "b",
            "x=",
            "$",
            "{",
            "}",
            "(",
            ")",
            "'",
            "\"",
            "`",
            "\\",
            "\n",
            ";",
            "&",
            "|",
            "<",
            ">",
            "<<",
            "EOF",
            "#",
            "if ",
            "then ",
            "fi",
            "do ",
            "done",
            "case ",
            " in ",
            ";;",
            "esac",
            "for ",
            "while ",
            "[[",
            "]]",
            "((",
            "))",
            "-",
            "--x=",
            "é",
            "日",
            "\t",
            "*",
            "?",
            "[",
            "]",
            "!",
            "$(",
            "${",
            "$((",
            "2>&1",
            "&&",
            "||",
            "|&",
            "\r\n",
            "function ",
            "sh -c ",
            "sudo ",
            "env ",
            "set -o pipefail",
            "<(",
            ">(",
            "$'",
            "=",
            "0",
            "9",
        ];
        let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for _ in 0..FUZZ_ROUNDS {
            let len = (next() % 60) as usize;
            let mut src = String::new();
            for _ in 0..len {
                if next() % 17 == 0 {
                    // Any character at all.
                    let c = char::from_u32((next() % 0x3000) as u32).unwrap_or('?');
                    src.push(c);
                } else {
                    src.push_str(ALPHABET[(next() % ALPHABET.len() as u64) as usize]);
                }
            }
            for opts in [Options::default(), NESTED] {
                let s = parse_with(&src, opts);
                let ok = |r: &Range<usize>| {
                    r.start <= r.end
                        && r.end <= src.len()
                        && src.is_char_boundary(r.start)
                        && src.is_char_boundary(r.end)
                };
                for c in &s.commands {
                    assert!(ok(&c.span), "{src:?}: {:?}", c.span);
                    for w in &c.words {
                        assert!(ok(&w.span), "{src:?}: word {:?}", w.span);
                        let _ = (w.value(), w.vars(), w.is_quoted());
                    }
                    if let Some(e) = c.effective() {
                        let _ = (e.flags(), e.positional(&["t"]), e.flag_values("o"));
                    }
                    let _ = c.shell_c_script();
                }
                for p in &s.pipes {
                    assert!(ok(p), "{src:?}: pipe {p:?}");
                }
                let _ = s.pipefail_before_pipes();
            }
        }
    }
}
