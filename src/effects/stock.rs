//! The location's stock as the availability rules see it, read in one paged pass.
//!
//! Rule 6 (a unique MAC) is judged across every server of the installation, so the pass lists
//! all servers once: each page feeds the MAC counts, and the servers of the location feed the
//! census, which keeps only a compact candidate or rejection per server. Memory stays flat
//! however large the installation is; the request count grows only with the pages.

use anyhow::{Context, Result};

use crate::dci::client::Client;
use crate::provision::availability::{Census, MacCounts, Stock};

pub struct Survey {
    pub stock: Stock,
    pub macs: MacCounts,
    /// Servers of the whole installation that were listed.
    pub listed: u64,
}

pub fn survey(client: &Client, location: u64, ignore_errors: bool) -> Result<Survey> {
    let mut macs = MacCounts::default();
    let mut census = Census::default();
    let mut listed = 0;
    client
        .for_each_server_page(None, |page| {
            for server in &page {
                listed += 1;
                macs.add_server(server);
                if server.location_id == location {
                    census.add(server, ignore_errors);
                }
            }
            Ok(())
        })
        .context("listing the servers of DCImanager")?;
    let stock = census.finish(&macs);
    log::info!(
        "location {location}: {} servers available, {} rejected ({}); {listed} servers in the installation",
        stock.available.len(),
        stock.rejected.len(),
        stock.tally
    );
    Ok(Survey {
        stock,
        macs,
        listed,
    })
}
