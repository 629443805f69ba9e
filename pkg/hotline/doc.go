// Package hotline is the domain model of the hotline: reports, the cases
// they merge into, the categories the classifier sorts them into and the
// automatic classification each one carries.
//
// The hotline counts per item, not per report: every report of the same
// canonical URL belongs to one case, whose id is derived from that URL
// (see CaseID) so that every stage and every process agrees on it without
// coordination and every write can be idempotent.
//
// The architecture in brief: reports arrive at the intake (public form or
// crawler API), travel on a queue (package queue) to the classifier stage,
// which attaches a Classification, and on to the tracker, which merges them
// into cases in a store (package store). In embedded mode the three stages
// run in one process over a durable local queue and SQLite; in distributed
// mode they are separate processes joined by Kafka.
package hotline
