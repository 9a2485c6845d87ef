//! `update` tests of the write dialogs: weights (typing, steps, presets, validation), confirm
//! (Cancel focused, y, Enter, production typed name), double-send protection and write
//! tracking.

use crate::fixture;

use fixture::*;
#[test]
fn weights_dialog_opens_with_current_shares_and_types_steps_and_presets() {
    let mut s = loaded();
    select(&mut s, "canary-ep");
    run(&mut s, vec![key('w')]);
    assert_eq!(
        weights_texts(&s),
        ["90", "10"],
        "weights 9:1 shown as percent"
    );
    let cases: Vec<(&str, Vec<Action>, [&str; 2])> = vec![
        (
            "typing replaces the selected field",
            typed("85"),
            ["85", "10"],
        ),
        (
            "backspace edits",
            vec![code(KeyCode::Backspace)],
            ["8", "10"],
        ),
        (
            "down moves to canary, typing replaces",
            vec![code(KeyCode::Down), key('2'), key('0')],
            ["8", "20"],
        ),
        (
            "right adds 5 points of traffic, the rest follows",
            vec![code(KeyCode::Right)],
            ["23.57", "76.43"],
        ),
    ];
    let mut st = s.clone();
    for (what, actions, want) in &cases {
        run(&mut st, actions.clone());
        assert_eq!(weights_texts(&st), want.to_vec(), "{what}");
    }
    // Steps and presets on a clean 90/10.
    let mut st = s.clone();
    run(&mut st, vec![code(KeyCode::Down), code(KeyCode::Right)]);
    assert_eq!(weights_texts(&st), ["85", "15"], "+5");
    run(&mut st, vec![code(KeyCode::PageUp)]);
    assert_eq!(weights_texts(&st), ["75", "25"], "+10");
    run(&mut st, vec![code(KeyCode::PageDown), code(KeyCode::Left)]);
    assert_eq!(weights_texts(&st), ["90", "10"], "-10 -5");
    let presets: Vec<(usize, [&str; 2])> = vec![
        (0, ["0", "100"]),
        (1, ["10", "90"]),
        (2, ["50", "50"]),
        (3, ["90", "10"]),
        (4, ["100", "0"]),
        (5, ["50", "50"]),
    ];
    for (j, want) in presets {
        let mut st = s.clone();
        // Focus canary, then tab from the last field onto the presets.
        let mut keys = vec![code(KeyCode::Down), code(KeyCode::Tab)];
        keys.extend((0..j).map(|_| code(KeyCode::Tab)));
        keys.push(code(KeyCode::Enter));
        run(&mut st, keys);
        assert_eq!(weights_texts(&st), want.to_vec(), "preset {j}");
        let Some(Dialog::Weights(d)) = &st.ops.dialog else {
            panic!()
        };
        assert_eq!(d.focus, WeightsFocus::Review, "a preset moves on to Review");
        assert_eq!(
            d.new_pct()[1].map(|p| p.to_string()),
            Some(want[1].to_string())
        );
    }
}

#[test]
fn weights_dialog_refuses_bad_input_with_a_clear_message() {
    let mut s = loaded();
    select(&mut s, "canary-ep");
    run(&mut s, vec![key('w')]);
    let cases: Vec<(&str, &str, &str)> = vec![
        ("empty", "", "prod: enter a weight"),
        ("letters", "abc", "prod: `abc` is not a number"),
        ("negative", "-5", "prod: `-5` is negative"),
        ("NaN", "NaN", "prod: `NaN` is not a number"),
        ("huge", "1e309", "prod: `1e309` is too large"),
    ];
    for (what, input, needle) in cases {
        let mut st = s.clone();
        let mut keys = vec![code(KeyCode::Backspace), code(KeyCode::Backspace)];
        keys.extend(typed(input));
        keys.push(code(KeyCode::Enter));
        let cmds = run(&mut st, keys);
        assert!(cmds.is_empty(), "{what}: nothing sent");
        assert!(
            dialog_message(&st).contains(needle),
            "{what}: {}",
            dialog_message(&st)
        );
        assert!(
            matches!(st.ops.dialog, Some(Dialog::Weights(_))),
            "{what}: stays open"
        );
    }
    let mut st = s.clone();
    let keys = vec![
        key('0'),
        code(KeyCode::Down),
        key('0'),
        code(KeyCode::Enter),
    ];
    run(&mut st, keys);
    assert!(
        dialog_message(&st).contains("all-zero"),
        "{}",
        dialog_message(&st)
    );
    let mut st = s.clone();
    run(&mut st, vec![code(KeyCode::Enter)]);
    assert!(dialog_message(&st).contains("nothing to change"));
    // Steps on a bad number say so instead of guessing.
    let mut st = s.clone();
    run(&mut st, vec![key('x'), code(KeyCode::Right)]);
    assert!(dialog_message(&st).contains("fix the numbers first"));
    // An endpoint that is not InService: the dialog says so and will not review.
    let mut st = loaded();
    select(&mut st, "busy");
    run(&mut st, vec![key('w')]);
    assert!(dialog_message(&st).contains("busy is Updating"));
    let cmds = run(&mut st, vec![key('5'), code(KeyCode::Enter)]);
    assert!(cmds.is_empty());
    assert!(matches!(st.ops.dialog, Some(Dialog::Weights(_))));
    assert!(dialog_message(&st).contains("only an InService endpoint accepts changes"));
}

#[test]
fn weights_command_checks_every_value_and_variant() {
    let cases: Vec<(&str, &str)> = vec![
        (":weights canary-ep", "at least one VARIANT=WEIGHT"),
        (":weights canary-ep canary", "is not VARIANT=WEIGHT"),
        (
            ":weights canary-ep shadow=1",
            "has no variant `shadow`: its variants are prod, canary",
        ),
        (
            ":weights canary-ep canary=abc",
            "canary: `abc` is not a number",
        ),
        (":weights canary-ep canary=-1", "canary: `-1` is negative"),
        (
            ":weights canary-ep canary=NaN",
            "canary: `NaN` is not a number",
        ),
        (":weights canary-ep canary=1e309", "too large"),
        (":weights canary-ep canary=0 prod=0", "all-zero"),
        (":weights canary-ep canary=1 canary=2", "given twice"),
        (":weights nope canary=1", "no endpoint named `nope`"),
        (
            ":weights busy AllTraffic=2",
            "busy is Updating: only an InService endpoint",
        ),
    ];
    for (line, needle) in cases {
        let mut s = loaded();
        let cmds = run(&mut s, vec![Action::RunCommand(line.into())]);
        assert!(cmds.is_empty(), "{line}");
        assert!(s.ops.dialog.is_none(), "{line}: no dialog");
        assert!(notice(&s).contains(needle), "{line}: {}", notice(&s));
    }
    // A valid command goes to the confirm dialog; prod keeps its weight 9.
    let mut s = loaded();
    run(
        &mut s,
        vec![Action::RunCommand(":weights canary-ep canary=9".into())],
    );
    let Some(Dialog::Confirm(c)) = &s.ops.dialog else {
        panic!("{:?}", s.ops.dialog)
    };
    assert_eq!(c.rows[0].to, "9 (50%)");
    assert_eq!(c.rows[1].from, "1 (10%)");
    assert_eq!(c.rows[1].to, "9 (50%)");
}

#[test]
fn confirm_has_cancel_focused_and_y_or_enter_on_the_button_decides() {
    let mut s = loaded();
    select(&mut s, "canary-ep");
    let review = [
        vec![key('w')],
        typed("80"),
        vec![code(KeyCode::Down)],
        typed("20"),
        vec![code(KeyCode::Enter)],
    ]
    .concat();
    run(&mut s, review);
    let Some(Dialog::Confirm(c)) = &s.ops.dialog else {
        panic!("{:?}", s.ops.dialog)
    };
    assert_eq!(c.focus, ConfirmFocus::Cancel, "Cancel is focused");
    assert!(
        c.api
            .iter()
            .any(|l| l.contains("UpdateEndpointWeightsAndCapacities("))
    );
    assert!(
        c.api
            .iter()
            .any(|l| l.contains("{VariantName=prod, DesiredWeight=80}"))
    );
    assert_eq!(
        (c.rows[0].from.as_str(), c.rows[0].to.as_str()),
        ("9 (90%)", "80 (80%)")
    );
    // Enter on the focused Cancel cancels.
    let mut st = s.clone();
    assert!(run(&mut st, vec![code(KeyCode::Enter)]).is_empty());
    assert!(st.ops.dialog.is_none() && notice(&st).contains("nothing was sent"));
    // Esc and n cancel too.
    for k in [code(KeyCode::Esc), key('n')] {
        let mut st = s.clone();
        assert!(run(&mut st, vec![k]).is_empty());
        assert!(st.ops.dialog.is_none());
    }
    // y confirms; Tab then Enter confirms.
    for keys in [
        vec![key('y')],
        vec![code(KeyCode::Tab), code(KeyCode::Enter)],
    ] {
        let mut st = s.clone();
        let cmds = run(&mut st, keys);
        let sent = writes(&cmds);
        assert_eq!(sent.len(), 1);
        let WriteRequest::Update { endpoint, changes } = &sent[0] else {
            panic!()
        };
        assert_eq!(endpoint, "canary-ep");
        assert_eq!(changes.len(), 2, "every variant is in the one request");
        assert_eq!(changes[0].desired_weight, Some(80.0));
        assert_eq!(changes[1].desired_weight, Some(20.0));
        assert!(changes.iter().all(|c| c.desired_instance_count.is_none()));
        assert!(st.ops.dialog.is_none());
        assert!(st.ops.writes.contains_key("canary-ep"), "tracked at once");
    }
}

#[test]
fn one_keypress_never_sends_twice() {
    let mut s = loaded();
    select(&mut s, "canary-ep");
    run(
        &mut s,
        vec![Action::RunCommand(":weights canary-ep canary=2".into())],
    );
    let cmds = run(&mut s, vec![key('y'), key('y'), code(KeyCode::Enter)]);
    assert_eq!(writes(&cmds).len(), 1, "the dialog closes on the first y");
    // While it is in flight, no other write to the endpoint opens.
    let cmds = run(&mut s, vec![key('w')]);
    assert!(cmds.is_empty() && s.ops.dialog.is_none());
    assert!(
        notice(&s).contains("a write to canary-ep is in flight"),
        "{}",
        notice(&s)
    );
    run(
        &mut s,
        vec![Action::RunCommand(":scale canary-ep canary 2".into())],
    );
    assert!(s.ops.dialog.is_none() && notice(&s).contains("in flight"));
}

#[test]
fn production_profile_needs_the_endpoint_name_typed() {
    let mut s = loaded();
    s.ops.production = true;
    run(
        &mut s,
        vec![Action::RunCommand(":weights canary-ep canary=2".into())],
    );
    let c = |s: &AppState| match &s.ops.dialog {
        Some(Dialog::Confirm(c)) => c.clone(),
        other => panic!("{other:?}"),
    };
    assert_eq!(c(&s).focus, ConfirmFocus::Cancel);
    // y is just a letter here.
    assert!(run(&mut s, vec![key('y')]).is_empty());
    assert_eq!(c(&s).typed, "y");
    run(&mut s, vec![code(KeyCode::Backspace)]);
    run(&mut s, typed("canary-e"));
    assert_eq!(c(&s).focus, ConfirmFocus::Cancel, "not armed yet");
    // Tab to the button and Enter: refused with a message, nothing sent.
    let mut st = s.clone();
    assert!(run(&mut st, vec![code(KeyCode::Tab), code(KeyCode::Enter)]).is_empty());
    assert!(dialog_message(&st).contains("type the endpoint name canary-ep"));
    // The exact name arms it: focus moves to the button and Enter confirms.
    run(&mut s, vec![key('p')]);
    assert_eq!(c(&s).focus, ConfirmFocus::Confirm);
    let cmds = run(&mut s, vec![code(KeyCode::Enter)]);
    assert_eq!(writes(&cmds).len(), 1);
}

#[test]
fn tracking_shows_updating_then_reports_the_outcome() {
    let mut s = loaded();
    run(
        &mut s,
        vec![Action::RunCommand(":weights canary-ep canary=3".into())],
    );
    let cmds = run(&mut s, vec![key('y')]);
    let Some(Command::Ops(OpsCommand::Write(job))) = cmds.first().cloned() else {
        panic!()
    };
    update(
        &mut s,
        Action::Ops(OpsAction::Write(WriteEvent::Started {
            job: job.clone(),
            at: t(1),
        })),
        t(1),
    );
    let accepted = WriteOutcome::Accepted {
        request_id: "req-1".into(),
        resent: false,
    };
    let cmds = update(
        &mut s,
        Action::Ops(OpsAction::Write(WriteEvent::Finished {
            job: job.clone(),
            at: t(2),
            outcome: accepted,
        })),
        t(2),
    );
    assert!(cmds.contains(&Command::Refresh(Some(Panel::Endpoints))));
    let e = s.endpoint("canary-ep").unwrap();
    assert_eq!(e.status, EndpointStatus::Updating, "shows Updating at once");
    assert_eq!(
        e.variants[1].desired_weight,
        Some(3.0),
        "with the pending change"
    );
    // A stale poll (InService, old values) keeps showing the pending change.
    let poll = |eps: Vec<Endpoint>, at| {
        Action::Polled(Polled {
            panel: Panel::Endpoints,
            at,
            result: Ok(PanelData::Endpoints(EndpointsData {
                endpoints: eps,
                failed: BTreeMap::new(),
                ..Default::default()
            })),
            retry_in: None,
        })
    };
    update(&mut s, poll(fleet(), t(3)), t(3));
    assert_eq!(
        s.endpoint("canary-ep").unwrap().status,
        EndpointStatus::Updating
    );
    let mut updated = fleet();
    updated[2].status = EndpointStatus::Updating;
    update(&mut s, poll(updated.clone(), t(10)), t(10));
    updated[2].status = EndpointStatus::InService;
    updated[2].variants[1].current_weight = Some(3.0);
    updated[2].variants[1].desired_weight = Some(3.0);
    update(&mut s, poll(updated, t(60)), t(60));
    assert!(s.ops.writes.is_empty());
    assert!(
        notice(&s).contains("canary-ep is InService with the change"),
        "{}",
        notice(&s)
    );
    // A refused write: AWS's words and what to do.
    let mut s = loaded();
    run(
        &mut s,
        vec![Action::RunCommand(":weights canary-ep canary=3".into())],
    );
    let cmds = run(&mut s, vec![key('y')]);
    let Some(Command::Ops(OpsCommand::Write(job))) = cmds.first().cloned() else {
        panic!()
    };
    let err = BackendError::AccessDenied {
        operation: Operation::UpdateEndpointWeightsAndCapacities,
        message: "User is not authorized to perform: sagemaker:UpdateEndpointWeightsAndCapacities"
            .into(),
    };
    update(
        &mut s,
        Action::Ops(OpsAction::Write(WriteEvent::Finished {
            job,
            at: t(2),
            outcome: WriteOutcome::Failed(err),
        })),
        t(2),
    );
    let n = s.notice.clone().unwrap();
    assert_eq!(n.level, NoticeLevel::Error);
    assert!(
        n.text.contains("not authorized")
            && n.text
                .contains("grant sagemaker:UpdateEndpointWeightsAndCapacities"),
        "{}",
        n.text
    );
    assert!(s.ops.writes.is_empty(), "a new write may be tried");
    assert_eq!(
        s.endpoint("canary-ep").unwrap().status,
        EndpointStatus::InService
    );
    let _ = Origin::User;
}
