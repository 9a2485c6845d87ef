//! Owns CloudWatch Logs on AWS: an endpoint's log streams (`DescribeLogStreams`, newest event
//! first) and its log events (`FilterLogEvents` over the whole group, one variant's streams or
//! one instance's stream, with the filter pattern applied by the service), every page.
//!
//! Why FilterLogEvents and not GetLogEvents: GetLogEvents reads one stream per call and has no
//! filter pattern, so tailing an endpoint with N instances would take N calls per poll and
//! filter on the client; FilterLogEvents searches every stream of the group (or a name prefix,
//! or up to 100 named streams) in one paged call, applies the pattern server-side, and returns
//! events "sorted by event timestamp".
//! <https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_FilterLogEvents.html>
//! <https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_GetLogEvents.html>
//! <https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_DescribeLogStreams.html>

use aws_sdk_cloudwatchlogs::types::OrderBy;

use super::AwsBackend;
use crate::boundary::{BackendResult, Operation};
use crate::domain::*;

/// Largest page DescribeLogStreams returns ("The default value is 50", maximum 50).
const STREAMS_PAGE: i32 = 50;

/// Streams listed at most (newest first): more instances than this are not an endpoint.
pub(crate) const MAX_STREAMS: usize = 500;

/// Pages of one read at most. "A returned page might only be partially full, or even empty
/// … If the results include a nextToken, there might be more log events available", so a read
/// follows the token; the cap keeps one poll from paging for ever (the next poll goes on).
pub(crate) const MAX_FILTER_PAGES: usize = 20;

fn ms_to_time(ms: i64) -> Timestamp {
    chrono::DateTime::from_timestamp_millis(ms).unwrap_or_default()
}

impl AwsBackend {
    /// The group's streams, newest event first. "If you order the results by event time, you
    /// cannot specify the logStreamNamePrefix parameter"; LastEventTime "updates on an eventual
    /// consistency basis" (within an hour), good enough to order a picker.
    /// <https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_DescribeLogStreams.html>
    pub(crate) async fn list_log_streams_impl(
        &self,
        endpoint: &str,
    ) -> BackendResult<Vec<LogStream>> {
        let group = endpoint_log_group(endpoint);
        let mut out = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let req = self
                .clients
                .logs
                .describe_log_streams()
                .log_group_name(&group)
                .order_by(OrderBy::LastEventTime)
                .descending(true)
                .limit(STREAMS_PAGE)
                .set_next_token(token.clone());
            let page = self
                .call(Operation::DescribeLogStreams, Some(&group), req.send())
                .await?;
            for s in page.log_streams() {
                if let Some(name) = s.log_stream_name() {
                    out.push(LogStream::new(
                        name,
                        s.last_event_timestamp().map(ms_to_time),
                    ));
                }
            }
            if out.len() >= MAX_STREAMS || !super::next_page(&mut token, page.next_token()) {
                break;
            }
        }
        out.truncate(MAX_STREAMS);
        Ok(out)
    }

    /// Events from `query.start` on, oldest first, every page up to `query.max_events`.
    /// `logStreamNames` and `logStreamNamePrefix` cannot both be given (InvalidParameterException),
    /// so a variant is read by prefix and an instance by name.
    pub(crate) async fn filter_log_events_impl(&self, query: &LogQuery) -> BackendResult<LogPage> {
        let group = endpoint_log_group(&query.endpoint);
        let mut out = LogPage::default();
        let mut token: Option<String> = None;
        let max = query.max_events.max(1);
        for _ in 0..MAX_FILTER_PAGES {
            let limit = (max - out.events.len()).clamp(1, 10_000) as i32;
            let mut req = self
                .clients
                .logs
                .filter_log_events()
                .log_group_name(&group)
                .start_time(query.start.timestamp_millis())
                .limit(limit)
                .set_next_token(token.clone());
            if let Some(p) = query.filter_pattern.as_deref().filter(|p| !p.is_empty()) {
                req = req.filter_pattern(p);
            }
            req = match &query.streams {
                StreamChoice::All => req,
                StreamChoice::Variant(v) => req.log_stream_name_prefix(format!("{v}/")),
                StreamChoice::Stream(s) => req.log_stream_names(s),
            };
            let page = self
                .call(Operation::FilterLogEvents, Some(&group), req.send())
                .await?;
            for e in page.events() {
                let (Some(stream), Some(ts)) = (e.log_stream_name(), e.timestamp()) else {
                    continue;
                };
                out.events.push(LogEvent::new(
                    ms_to_time(ts),
                    stream,
                    e.message().unwrap_or_default(),
                    e.event_id().unwrap_or_default(),
                ));
            }
            let more = super::next_page(&mut token, page.next_token());
            if !more {
                return Ok(out);
            }
            if out.events.len() >= max {
                out.truncated = true;
                return Ok(out);
            }
        }
        out.truncated = token.is_some();
        Ok(out)
    }
}
