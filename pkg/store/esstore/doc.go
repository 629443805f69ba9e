// Package esstore is the Elasticsearch implementation of the store
// contract (package store), for distributed mode: every tracker and API
// process shares one cluster. It speaks to the cluster through the typed
// client of go-elasticsearch and passes the conformance suite
// (storetest) against an in-process fake checked against Elastic's
// published API specification, and against a live cluster when ES_URL is
// set.
//
// # Indices
//
// Open creates the indices that are missing, named with a prefix
// (default "hotline-"), with the settings and mappings in mappings/*.json
// (IndexBody). The index templates in deploy/elasticsearch are made from
// the same files.
//
//   - cases: one document per case, id = case id. The summary fields
//     (status, category, subcategory, host, sources, priority,
//     report_count, the report times) are keyword, numeric or date_nanos
//     fields for filters and the queue order; the evidence, scores,
//     judgement and the pending writes (below) are kept but not indexed.
//   - reports: one document per report, id = report id.
//   - actions: one document per action, id = action id, with its order
//     within its case (seq) and across cases (log_key: the store clock and the position in the Record call).
//   - contacts: the reporters' contacts, id = report id; the mapping is
//     enabled: false, so nothing in it is searchable.
//   - api_keys (id = key id, hash a keyword), users (id = user id),
//     logins (id = login: the claim that makes logins unique), sessions
//     (id = session hash) and audit (id = entry id).
//
// # Merging reports without transactions
//
// Elasticsearch writes one document atomically and no more. The case
// document is therefore the commit point of every change to a case, and
// it is written under optimistic concurrency control (if_seq_no and
// if_primary_term; a version_conflict_engine_exception makes the writer
// read the case again and redo its change, with a short random backoff).
// Whatever else a change writes (the report document, action documents)
// travels inside the case document first, in its pending_reports or
// pending_actions, and is written to its own index afterwards:
//
//  1. AddReport writes the contact (op_type=create) to the contacts index.
//  2. It reads the case in real time. The report is already merged if it
//     is pending in the case, or if its report document exists (looked
//     up after reading the case: see 4). Then AddReport only makes sure
//     the report document exists, and returns nil: a redelivery completes
//     whatever a crash interrupted, and counts nothing twice.
//  3. Otherwise it merges the report into the case (hotline.Case.Merge),
//     sets pending_reports to just this report and writes the case with
//     the version it read (op_type=create for a new case).
//  4. Before writing, every writer makes sure the documents the previous
//     writer left pending exist (a _bulk of op_type=create; "already
//     exists" is success) and drops them: pending holds only the last
//     write's documents, and a report leaves the pending list only once
//     its document exists.
//  5. After the case write, AddReport writes the report document
//     (op_type=create) and returns.
//
// Readers see every merged report even between 3 and 5: Case lists the
// report documents and adds those still pending in the case. A crash
// between 3 and 5 thus loses nothing, and the redelivery of the report,
// which the queue makes since AddReport did not return nil, writes the
// document. Concurrent AddReport calls on one case serialise on the case
// version; none is lost.
//
// # Recording actions
//
// Record reads every case concerned and applies all their new actions in
// memory (hotline.Case.Apply) before it writes anything: an invalid
// action, a claim someone holds or a missing case fails the whole call
// with nothing written. Then, case by case, it writes the case document
// with its new workflow and the new actions in pending_actions (Before
// and After filled in, numbered after the case's action_seq), under
// concurrency control, and then the action documents (op_type=create).
// Actions already recorded (pending in the case, or found by id with a
// real-time _mget) are skipped, so a retried call is harmless; a retry
// also writes the documents of its actions that a crash left pending.
//
// The guarantee is all-or-nothing per case: a case's actions and its new
// state are one document write. Across cases Elasticsearch offers no
// transaction: if a later case's write fails (the cluster is unreachable,
// or the case changed since validation and its actions no longer apply),
// the cases written before it stay recorded, and the error says how many
// were. Retrying the same call records the rest and skips what was
// recorded. A call on one case, the common one, is atomic.
//
// Actions returns a case's actions by seq, the order they were recorded
// in. ActionLog orders actions across cases by the clock of the process
// that recorded them (strictly increasing within a process), then by
// their position in the Record call; across processes the order is the
// wall clocks'. Histories finds the cases with a deletion request or an
// outcome in the period by search (sorted by case id, paged with
// search_after, no result-window limit) and reads them in batches with
// _mget and one action search per batch.
//
// # Visibility and cost
//
// Gets are real time; searches see what the last refresh made visible.
// By default every write is made with refresh=wait_for, so that a call
// returns only once what it wrote is searchable (Cases, a case's reports,
// Users, APIKeyByHash see it), as the contract expects. This matters for
// the pending lists too: a document may leave a case's pending list only
// once it is searchable, since readers then find it only by search. The
// report write (step 5) and the flush (step 4) therefore wait as well; a
// flush of documents that already exist (the usual case: their writer
// wrote them) writes nothing and waits for nothing.
//
// The cost is latency: a write waits for the next scheduled refresh (up
// to the index's refresh_interval, 1s in the mappings; about half of it
// on average), though concurrent writes share one refresh. An AddReport
// makes about five requests (the contact if any, get case, report
// exists, flush of the previous writer's pending documents, write case,
// write report) and waits for two refreshes (the case's and the
// report's): a tracker worker handling one partition sequentially merges
// about one report a second, and scales with partitions. Config.Refresh
// "false" removes the waits where a second of staleness is acceptable
// (bulk loads): searches then lag by up to a refresh interval, and a
// case's report may be missing from Case for as long.
//
// # Limits
//
//   - Cases pages beyond index.max_result_window (10,000) are reached by
//     walking search_after from the start: correct, but slower the deeper.
//   - Documents pending in a case after a crash are seen by Case and
//     Actions at once, but by Histories and ActionLog only once the
//     redelivery, the retry or the next write to that case has written
//     them.
//   - Logins are unique through the logins index: CreateUser claims the
//     login, then creates the account. A claim left by a creation that
//     crashed in between, without an account, is taken over after a
//     minute.
//   - Expired sessions are swept with _delete_by_query at most once an
//     hour per process, when a session is created.
package esstore
