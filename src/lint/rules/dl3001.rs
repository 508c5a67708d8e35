//! DL3001: commands that make no sense in a container build.

use crate::lint::rules::run_scripts::run_scripts;
use crate::lint::{Context, Origin, Report, Rule, Severity};

pub static RULE: Rule = Rule {
    code: "DL3001",
    name: "pointless-command",
    origin: Origin::Hadolint,
    severity: Severity::Info,
    enabled: true,
    summary: "Some commands make no sense in a container build: `ssh`, `vim`, `shutdown`, `service`, `ps`, `free`, `top`, `kill`, `mount`",
    description: "A `RUN` step runs once, non-interactively, in a throwaway container: there \
is no editor session to open, no service manager to start services, no host to mount \
into or shut down, and nothing running to list or kill. Such commands either do nothing \
useful or hide a design problem (start services in the entrypoint; copy files in with \
`COPY`).",
    bad: "FROM debian:12\nRUN service nginx start\n",
    good: "FROM debian:12\nCMD [\"nginx\", \"-g\", \"daemon off;\"]\n",
    fixable: false,
    check,
};

const POINTLESS: &[&str] = &[
    "free", "kill", "mount", "ps", "service", "shutdown", "ssh", "top", "vim",
];

fn check(cx: &Context, out: &mut Report) {
    for run in run_scripts(cx).iter() {
        let found = run.effective().find_map(|(part, c, cmd)| {
            let name = cmd.base_name()?;
            POINTLESS.contains(&name).then_some((part, c, name))
        });
        if let Some((part, c, name)) = found {
            out.add(
                run.command_span(cx, part, c),
                format!("`{name}` makes no sense in a container build"),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::lint::testing::{catches, passes};

    #[test]
    fn catches_pointless_commands() {
        for c in [
            "service nginx start",
            "vim /etc/x",
            "ps aux | grep x",
            "sudo shutdown -h now",
            "mount /dev/sda /mnt",
        ] {
            catches(&RULE, &format!("FROM debian:12\nRUN {c}\n"));
        }
        catches(&RULE, "FROM debian:12\nONBUILD RUN top -b -n1\n");
    }

    #[test]
    fn passes_other_commands_and_mentions() {
        passes(
            &RULE,
            "FROM debian:12\nRUN apt-get install -y --no-install-recommends vim=2:9.0 procps=2:4\n",
        );
        passes(&RULE, "FROM debian:12\nRUN echo kill ps top\n");
        passes(&RULE, "FROM debian:12\nRUN pkill -f x || true\n");
    }
}
