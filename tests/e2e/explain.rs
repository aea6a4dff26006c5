//! `open --dry-run`, the explanation for administrators: every server of the location with the
//! rule that rejected it or its distance from the order, the chosen server, the pool chain as it
//! was resolved; and nothing changed anywhere.

use serde_json::{Value, json};

use crate::world::{FIXED_LABEL, Run, World, free_server, inventory};
use crate::xml::elements;

/// Five servers of location 1, each refused or ranked for its own reason.
fn location_servers() -> Vec<Value> {
    let mut maintenance = free_server(1, 1, FIXED_LABEL);
    maintenance["maintenance_mode"] = json!(true);
    let mut reserved = free_server(2, 1, FIXED_LABEL);
    reserved["notes"] = json!("billmgr-item:999");
    let mut undiagnosed = free_server(5, 1, "");
    undiagnosed["diagnostics"] = json!({"status": "not_run"});
    vec![
        maintenance,
        reserved,
        // Smaller than ordered: staff would have to add parts.
        free_server(3, 1, "i9-9900K-32Gb-1x1024NVMe"),
        // Bigger than ordered: at least the order on every part, staff only take RAM out.
        free_server(4, 2, "i9-9900K-128Gb-2x1024NVMe"),
        undiagnosed,
    ]
}

fn explain(world: &World, item: u64, format: &str) -> Run {
    world.run(&[
        "--command",
        "open",
        "--item",
        &item.to_string(),
        "--dry-run",
        "--format",
        format,
    ])
}

/// The text report's line for a server (`   srv-3  other configuration  ...`).
fn line<'a>(report: &'a str, server: &str) -> &'a str {
    report
        .lines()
        .find(|l| l.split_whitespace().any(|word| word == server))
        .unwrap_or_else(|| panic!("no line for {server} in:\n{report}"))
}

fn assert_nothing_changed(world: &World) {
    assert!(
        world
            .sim
            .requests()
            .iter()
            .all(|r| r.method == "GET" || r.path.starts_with("/api/auth")),
        "only reads: {:#?}",
        world.sim.requests()
    );
    assert!(
        world
            .root
            .mgrctl_calls()
            .expect("calls")
            .iter()
            .all(|c| c.func == "paramlist")
    );
}

#[test]
fn without_a_match_every_server_shows_its_rule_or_distance_and_the_closest_is_chosen() {
    let world = World::new("explain_closest", inventory(json!(location_servers())));
    let item = world.order(FIXED_LABEL, &[("ostempl", "Debian-12")]);
    let run = explain(&world, item, "text");
    run.assert_ok();
    let report = &run.stdout;

    assert!(
        report.contains("Stock: 5 servers listed, 2 available, 3 rejected"),
        "{report}"
    );
    assert!(line(report, "srv-1").contains("rejected"), "{report}");
    assert!(line(report, "srv-1").contains("in maintenance"), "{report}");
    assert!(
        line(report, "srv-2").contains("owned: reserved for item 999"),
        "{report}"
    );
    assert!(
        line(report, "srv-5").contains("diagnostics not done"),
        "{report}"
    );
    for server in ["srv-3", "srv-4"] {
        let text = line(report, server);
        assert!(
            text.contains("other configuration") && text.contains("distance: "),
            "{report}"
        );
    }
    assert!(
        line(report, "srv-3").contains("distance: lacks a part: shortfall 1500, excess 0"),
        "{report}"
    );
    // The customer is never given less than ordered: the bigger server wins over the one
    // lacking RAM and a disk, though its RAM must come out.
    assert!(line(report, "srv-4").starts_with("=>"), "{report}");
    assert!(
        report.contains(
            "No match; closest (distance: at least the order on every part, excess 1000): \
             build server srv-4 to i9-9900K-64Gb-2x1024NVMe: RAM 128 → 64 GB (take out 64 GB)"
        ),
        "{report}"
    );
    // srv-4 is in rack R02, which has no pool, and location 1 has none either.
    assert!(
        report.contains(
            "Pool: public-ams (from the public pool); chain: rack pool: rack R02 has no pool; \
             location pool: location Amsterdam has no pool; public pool: pool 1 'public-ams' chosen"
        ),
        "{report}"
    );
    assert!(report.contains("Steps: "), "{report}");
    assert_nothing_changed(&world);

    let xml = explain(&world, item, "xml");
    xml.assert_ok();
    let els = elements(&xml.stdout).expect("well-formed");
    let build = els
        .iter()
        .find(|e| e.path == "/doc/open/server/build")
        .expect("the build plan");
    assert_eq!(
        (build.attr("shortfall"), build.attr("excess")),
        (Some("0"), Some("1000"))
    );
    assert!(build.text.contains("RAM 128 → 64 GB"), "{}", build.text);
    let chosen = els
        .iter()
        .find(|e| e.path == "/doc/open/server")
        .expect("server");
    assert_eq!(
        (chosen.attr("name"), chosen.attr("choice")),
        (Some("srv-4"), Some("closest"))
    );
    assert!(
        xml.stderr.contains("open would use server srv-4"),
        "summary on stderr: {}",
        xml.stderr
    );
    assert_nothing_changed(&world);
}

#[test]
fn with_a_match_the_other_configurations_still_show_their_distance() {
    let mut servers = location_servers();
    servers.push(free_server(6, 1, FIXED_LABEL));
    let world = World::new("explain_match", inventory(json!(servers)));
    let item = world.order(FIXED_LABEL, &[("ostempl", "Debian-12")]);
    let run = explain(&world, item, "text");
    run.assert_ok();
    let report = &run.stdout;
    assert!(line(report, "srv-6").starts_with("=>"), "{report}");
    assert!(line(report, "srv-6").contains("match"), "{report}");
    assert!(line(report, "srv-6").contains("rank 1"), "{report}");
    assert!(
        line(report, "srv-3").contains("distance: lacks a part"),
        "{report}"
    );
    assert!(
        report.contains(&format!("Chosen: srv-6 ({FIXED_LABEL})")),
        "{report}"
    );
    assert!(
        report.contains("Pool: rack-r01 (from the rack pool); chain: rack pool:"),
        "{report}"
    );
    assert_nothing_changed(&world);
}

/// The server the dry run names, from its XML plan: its id and how it was chosen.
fn named_server(world: &World, item: u64) -> (String, String) {
    let run = explain(world, item, "xml");
    run.assert_ok();
    let els = elements(&run.stdout).expect("well-formed");
    let server = els
        .iter()
        .find(|e| e.path == "/doc/open/server")
        .unwrap_or_else(|| panic!("no server in: {}", run.stdout));
    let attr = |name| server.attr(name).unwrap_or_default().to_string();
    (attr("id"), attr("choice"))
}

fn open(world: &World, item: u64) -> Run {
    world.run(&["--command", "open", "--item", &item.to_string()])
}

/// The dry run's promise: the server it names is the one the real open then claims, or for a
/// closest match reserves. The tie-break seed is the item's id, so ties are ranked alike too.
#[test]
fn the_dry_run_names_the_server_the_open_takes() {
    let mut matching = location_servers();
    matching.push(free_server(6, 1, FIXED_LABEL));
    let ties: Vec<Value> = (20..26).map(|id| free_server(id, 1, FIXED_LABEL)).collect();
    let worlds = [
        ("same_closest", location_servers()),
        ("same_match", matching),
        ("same_ties", ties),
        (
            "same_closest_one",
            vec![free_server(50, 2, "i9-9900K-32Gb-1x1024NVMe")],
        ),
        (
            "same_closest_side",
            vec![
                free_server(51, 2, "i9-9900K-32Gb-1x1024NVMe"),
                free_server(52, 2, "i9-9900K-128Gb-2x1024NVMe"),
                free_server(53, 2, "2xi9-9900K-512Gb-4x2048NVMe"),
            ],
        ),
    ];
    for (name, servers) in worlds {
        let world = World::new(name, inventory(json!(servers)));
        let item = world.order(FIXED_LABEL, &[("ostempl", "Debian-12")]);
        let (named, _) = named_server(&world, item);
        open(&world, item).assert_ok();
        assert_eq!(
            world.item_param(item, "serverid").as_deref(),
            Some(named.as_str()),
            "world {name}"
        );
    }
}

/// A claim killed between the owner and the notes: the dry run names the server the retry
/// adopts, not a fresh one from stock.
#[test]
fn the_dry_run_names_the_server_of_an_interrupted_claim() {
    let (world, item) = crate::world::interrupted_claim("explain_interrupted_claim");
    assert_eq!(
        named_server(&world, item),
        ("150".to_string(), "held".to_string())
    );
    assert_nothing_changed(&world);
    open(&world, item).assert_ok();
    assert_eq!(world.item_param(item, "serverid").as_deref(), Some("150"));
}

/// A server reserved by a closest match and not rebuilt yet: the dry run refuses as the open
/// does, instead of planning an install on the wrong hardware.
#[test]
fn the_dry_run_of_a_reservation_waits_for_the_rebuild_like_the_open() {
    let world = World::new(
        "explain_waiting_rebuild",
        inventory(json!([free_server(50, 2, "i9-9900K-32Gb-1x1024NVMe")])),
    );
    let item = world.order(FIXED_LABEL, &[("ostempl", "Debian-12")]);
    open(&world, item).assert_ok();
    let real = open(&world, item);
    assert_eq!(real.error_type(), "no_server");
    let dry = explain(&world, item, "xml");
    assert_eq!(dry.error_type(), "no_server");
    assert_eq!(dry.error_value(), real.error_value());
    assert!(
        dry.error_value().contains("waits for staff to rebuild"),
        "{}",
        dry.error_value()
    );
}

/// Matching servers whose addresses no pool can give are passed over, by the dry run as by the
/// open: both take the match that has a pool.
#[test]
fn the_dry_run_passes_over_a_match_without_a_pool_like_the_open() {
    // Rack R02 has no pool, location 1 has none, and the public pool is not for allocation.
    let mut servers: Vec<Value> = (30..34).map(|id| free_server(id, 2, FIXED_LABEL)).collect();
    servers.push(free_server(34, 1, FIXED_LABEL));
    let mut inv = inventory(json!(servers));
    inv.pool_settings.allocation = vec![2, 3];
    let world = World::new("explain_no_pool_match", inv);
    let item = world.order(FIXED_LABEL, &[("ostempl", "Debian-12")]);
    assert_eq!(named_server(&world, item).0, "34");
    let text = explain(&world, item, "text");
    assert!(
        line(&text.stdout, "srv-30").contains("passed over"),
        "{}",
        text.stdout
    );
    assert_nothing_changed(&world);
    open(&world, item).assert_ok();
    assert_eq!(world.item_param(item, "serverid").as_deref(), Some("34"));
}
