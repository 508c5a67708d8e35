//! DL3003: use `WORKDIR` instead of `cd`.

use crate::lint::rules::run_scripts::run_scripts;
use crate::lint::{Context, Origin, Report, Rule, Severity};

pub static RULE: Rule = Rule {
    code: "DL3003",
    name: "use-workdir",
    origin: Origin::Hadolint,
    severity: Severity::Warning,
    enabled: true,
    summary: "Use `WORKDIR` to switch to a directory",
    description: "A `cd` lasts only until the end of its `RUN`; the next instruction starts \
in the `WORKDIR` again, which makes Dockerfiles that `cd` hard to follow. `WORKDIR /dir` \
changes the directory for every later instruction and creates it if needed. For one \
command in another directory, many tools take the directory as an option (`make -C`, \
`git -C`, `tar -C`).",
    bad: "FROM debian:12\nRUN cd /usr/src/app && make\n",
    good: "FROM debian:12\nWORKDIR /usr/src/app\nRUN make\n",
    fixable: false,
    check,
};

fn check(cx: &Context, out: &mut Report) {
    for run in run_scripts(cx).iter() {
        if let Some((part, c, _)) = run.named("cd").next() {
            out.add(
                run.command_span(cx, part, c),
                "Use WORKDIR to switch to a directory instead of `cd`",
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::lint::testing::{catches, passes};

    #[test]
    fn catches_cd() {
        let f = catches(
            &RULE,
            "FROM debian:12\nRUN make clean && \\\n  cd /src && make\n",
        );
        assert_eq!(f.len(), 1);
        assert_eq!((f[0].span.start.line, f[0].span.start.col), (3, 3));
        catches(&RULE, "FROM debian:12\nRUN (cd /src; make)\n");
        catches(&RULE, "FROM debian:12\nRUN <<EOF\ncd /tmp\nEOF\n");
        // Inside nested shells and ONBUILD triggers too (hadolint looks at
        // neither).
        catches(
            &RULE,
            "FROM debian:12\nRUN [\"sh\", \"-c\", \"cd /x && make\"]\n",
        );
        catches(&RULE, "FROM debian:12\nRUN bash -ec 'cd /x; make'\n");
        catches(&RULE, "FROM debian:12\nONBUILD RUN cd /x\n");
    }

    #[test]
    fn passes_without_cd() {
        passes(
            &RULE,
            "FROM debian:12\nWORKDIR /src\nRUN make -C /src && echo cd\n",
        );
        passes(&RULE, "FROM debian:12\nRUN cdrecord --help\n");
    }
}
