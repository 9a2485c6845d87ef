//! `update` tests of the scale dialog (checks, quota, autoscaling range), read-only mode and
//! the `:shift` command (plan, confirm, abort, quit while shifting).

use crate::fixture;

use fixture::*;
fn scale_message(s: &mut AppState, line: &str) -> String {
    run(s, vec![Action::RunCommand(line.into())]);
    notice(s)
}

#[test]
fn scale_dialog_checks_count_status_range_and_quota() {
    // Typing and steps.
    let mut s = loaded();
    select(&mut s, "canary-ep");
    run(&mut s, vec![key('s')]);
    let text = |s: &AppState| match &s.ops.dialog {
        Some(Dialog::Scale(d)) => (d.variant().to_string(), d.text.clone()),
        other => panic!("{other:?}"),
    };
    assert_eq!(
        text(&s),
        ("prod".into(), "4".into()),
        "pre-filled with the current count"
    );
    run(&mut s, vec![code(KeyCode::Up), code(KeyCode::Up)]);
    assert_eq!(text(&s).1, "6");
    run(&mut s, vec![code(KeyCode::Right)]);
    assert_eq!(
        text(&s),
        ("canary".into(), "1".into()),
        "←/→ picks the variant"
    );
    // Validation of the typed count.
    for (input, needle) in [
        ("", "enter an instance count"),
        ("abc", "`abc` is not a whole number"),
        ("-2", "negative"),
        ("2.5", "not a whole number of instances"),
        ("0", "at least 1"),
        ("1e309", "too many instances"),
        ("1", "nothing to change"),
    ] {
        let mut st = s.clone();
        let mut keys = vec![code(KeyCode::Backspace)];
        keys.extend(typed(input));
        keys.push(code(KeyCode::Enter));
        assert!(run(&mut st, keys).is_empty(), "{input}");
        assert!(
            dialog_message(&st).contains(needle),
            "{input}: {}",
            dialog_message(&st)
        );
    }
    // Quota: ml.c5.xlarge 7, in use 4 + 1 + 1 (busy) = 6.
    let f = sagetop::app::dialogs::scale::facts(&s, "canary-ep", "canary").unwrap();
    assert_eq!(
        f.headroom().as_deref(),
        Some("ml.c5.xlarge for endpoint usage: 6 of 7 used")
    );
    let mut st = s.clone();
    run(&mut st, vec![key('3'), code(KeyCode::Enter)]);
    assert_eq!(
        dialog_message(&st),
        quota_exceeded_message(C5, 7.0, 6.0, 2.0),
        "AWS's own words"
    );
    let m = scale_message(&mut loaded(), ":scale canary-ep canary 3");
    assert!(m.starts_with("The account-level service limit 'ml.c5.xlarge for endpoint usage' is 7 Instances, with current utilization of 6 Instances and a request delta of 2 Instances."), "{m}");
    // Within quota: the confirm shows the headroom and the autoscaling facts.
    let mut st = s.clone();
    let cmds = run(&mut st, vec![key('2'), code(KeyCode::Enter)]);
    assert!(cmds.is_empty());
    let Some(Dialog::Confirm(c)) = &st.ops.dialog else {
        panic!("{:?}", st.ops.dialog)
    };
    assert!(
        c.notes[0].contains("6 of 7 used; 7 after this change"),
        "{:?}",
        c.notes
    );
    // The capacity of one variant alone (AWS: "capacity of one variant" per call), no weights.
    assert!(
        c.api
            .iter()
            .any(|l| l.contains("{VariantName=canary, DesiredInstanceCount=2}")),
        "{:?}",
        c.api
    );
    assert!(
        !c.api
            .iter()
            .any(|l| l.contains("VariantName=prod") || l.contains("DesiredWeight=")),
        "{:?}",
        c.api
    );
    // Status and serverless.
    let m = scale_message(&mut loaded(), ":scale busy AllTraffic 2");
    assert!(
        m.contains("busy is Updating: only an InService endpoint accepts changes"),
        "{m}"
    );
    let mut st = loaded();
    select(&mut st, "srv");
    run(&mut st, vec![key('s')]);
    assert!(st.ops.dialog.is_none() && notice(&st).contains("serverless"));
}

#[test]
fn scale_outside_the_autoscaling_range_offers_register_scalable_target() {
    let mut s = loaded();
    run(
        &mut s,
        vec![Action::RunCommand(":scale canary-ep prod 7".into())],
    );
    let Some(Dialog::Scale(d)) = &s.ops.dialog else {
        panic!("{:?}", s.ops.dialog)
    };
    assert_eq!(d.focus, ScaleFocus::Range);
    assert!(
        d.message
            .as_deref()
            .unwrap()
            .contains("7 is outside the autoscaling range 2–6 of prod")
    );
    // Enter on the offer: a confirm for RegisterScalableTarget, nothing else.
    let cmds = run(&mut s, vec![code(KeyCode::Enter)]);
    assert!(cmds.is_empty());
    let Some(Dialog::Confirm(c)) = &s.ops.dialog else {
        panic!()
    };
    assert_eq!(
        (c.rows[0].from.as_str(), c.rows[0].to.as_str()),
        ("2–6", "2–7")
    );
    let cmds = run(&mut s, vec![key('y')]);
    assert_eq!(
        writes(&cmds),
        vec![WriteRequest::ScalingRange {
            endpoint: "canary-ep".into(),
            variant: "prod".into(),
            min_capacity: 2,
            max_capacity: 7
        }]
    );
    // Below the minimum too.
    let mut s = loaded();
    run(
        &mut s,
        vec![Action::RunCommand(":scale canary-ep prod 1".into())],
    );
    assert!(dialog_message(&s).contains("outside the autoscaling range 2–6"));
}

#[test]
fn read_only_has_no_write_keys_commands_or_help() {
    let mut s = loaded_with(SessionInfo {
        read_only: true,
        ..SessionInfo::default()
    });
    select(&mut s, "canary-ep");
    for k in ['w', 's'] {
        assert!(run(&mut s, vec![key(k)]).is_empty());
        assert!(s.ops.dialog.is_none(), "{k} opens nothing");
    }
    for line in [
        ":weights canary-ep canary=2",
        ":scale canary-ep canary 2",
        ":shift canary-ep prod canary --canary 10",
    ] {
        assert!(run(&mut s, vec![Action::RunCommand(line.into())]).is_empty());
        assert!(s.ops.dialog.is_none());
        assert!(
            notice(&s).contains("read-only mode"),
            "{line}: {}",
            notice(&s)
        );
    }
    let actions: Vec<_> = s.keymap.bindings.iter().map(|b| b.action).collect();
    assert!(
        !actions
            .iter()
            .any(|a| sagetop::app::ops::is_write_action(*a))
    );
    for scope in [sagetop::app::Scope::Endpoints, sagetop::app::Scope::Detail] {
        let footer: Vec<&str> = s.keymap.footer(scope).into_iter().map(|(_, l)| l).collect();
        assert!(
            !footer.contains(&"weights") && !footer.contains(&"scale"),
            "{footer:?}"
        );
    }
    let help = sagetop::ui::help::lines(&s, &sagetop::theme::Theme::default_theme(), 200);
    let text: String = help
        .iter()
        .map(|l| l.to_string())
        .collect::<Vec<_>>()
        .join("\n");
    assert!(
        !text.contains("traffic weights")
            && !text.contains(":weights")
            && !text.contains(":shift")
            && !text.to_lowercase().contains("traffic shift"),
        "{text}"
    );
    // The same help in a writable session lists them.
    let rw = loaded();
    let help = sagetop::ui::help::lines(&rw, &sagetop::theme::Theme::default_theme(), 200);
    let text: String = help
        .iter()
        .map(|l| l.to_string())
        .collect::<Vec<_>>()
        .join("\n");
    assert!(
        text.contains("change traffic weights") && text.contains(":shift EP FROM TO --canary P")
    );
    assert!(
        text.contains("default 1%") && text.contains("default 500"),
        "guard defaults stated"
    );
}

#[test]
fn shift_command_plans_confirms_and_aborts() {
    let cases: Vec<(&str, &str)> = vec![
        (
            ":shift canary-ep prod canary",
            "choose --canary P or --linear P",
        ),
        (
            ":shift canary-ep prod canary --canary 60",
            "--canary must be 1–50%",
        ),
        (
            ":shift canary-ep prod canary --linear 5",
            "--linear steps must be 10–50%",
        ),
        (
            ":shift canary-ep prod canary --canary 10 --wait 2h",
            "at most 3600 s",
        ),
        (
            ":shift canary-ep prod shadow --canary 10",
            "has no variant `shadow`",
        ),
        (
            ":shift busy AllTraffic AllTraffic --canary 10",
            "busy is Updating",
        ),
    ];
    for (line, needle) in cases {
        let mut s = loaded();
        run(&mut s, vec![Action::RunCommand(line.into())]);
        assert!(s.ops.dialog.is_none(), "{line}");
        assert!(notice(&s).contains(needle), "{line}: {}", notice(&s));
    }
    let mut s = loaded();
    run(
        &mut s,
        vec![Action::RunCommand(
            ":shift canary-ep prod canary --linear 25 --wait 2m --max-5xx-rate 2%".into(),
        )],
    );
    let Some(Dialog::Confirm(c)) = &s.ops.dialog else {
        panic!("{}", notice(&s))
    };
    assert_eq!(c.focus, ConfirmFocus::Cancel);
    assert!(
        c.notes[0]
            .contains("25% → 50% → 75% → 100% of the traffic on canary, each step watched 2m"),
        "{:?}",
        c.notes
    );
    assert!(
        c.notes[1].contains("5XX ≤ 2%, latency ≤ 500 ms"),
        "{:?}",
        c.notes
    );
    let cmds = run(&mut s, vec![key('y')]);
    let plan = cmds.iter().find_map(|c| match c {
        Command::Ops(OpsCommand::StartShift(p)) => Some(p.clone()),
        _ => None,
    });
    let plan = plan.expect("shift started");
    assert_eq!(plan.steps.len(), 4);
    assert_eq!(
        s.view,
        View::Detail {
            endpoint: "canary-ep".into()
        },
        "the detail shows its progress"
    );
    assert!(s.ops.shift_running("canary-ep"));
    // While it runs: no other write, and x / esc ask before aborting (Cancel focused).
    run(&mut s, vec![key('w')]);
    assert!(s.ops.dialog.is_none() && notice(&s).contains("traffic shift is running"));
    for k in [key('x'), code(KeyCode::Esc)] {
        let mut st = s.clone();
        run(&mut st, vec![k]);
        let Some(Dialog::Abort(a)) = &st.ops.dialog else {
            panic!("{:?}", st.ops.dialog)
        };
        assert_eq!(a.focus, sagetop::app::dialogs::AbortFocus::Cancel);
        assert!(
            run(&mut st, vec![code(KeyCode::Enter)]).is_empty(),
            "Enter on Cancel"
        );
        assert_eq!(
            st.view,
            View::Detail {
                endpoint: "canary-ep".into()
            },
            "esc did not leave the view"
        );
    }
    for (k, rollback) in [(key('r'), true), (key('k'), false)] {
        let mut st = s.clone();
        let cmds = run(&mut st, vec![key('x'), k]);
        assert_eq!(
            cmds,
            vec![Command::Ops(OpsCommand::AbortShift {
                endpoint: "canary-ep".into(),
                rollback
            })]
        );
    }
    // q on the endpoints view asks first while a shift runs.
    let mut st = s.clone();
    run(&mut st, vec![key('q')]);
    assert_eq!(st.view, View::Endpoints);
    let cmds = run(&mut st, vec![key('q')]);
    assert!(!cmds.contains(&Command::Quit) && matches!(st.ops.dialog, Some(Dialog::Quit(_))));
    assert_eq!(run(&mut st, vec![key('y')]), vec![Command::Quit]);
}
