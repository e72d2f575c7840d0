package io.ringtrain.coordinator;

/**
 * One rank of the current generation as the coordinator sees it at a heartbeat tick, for
 * operators' dashboards.
 *
 * @param rank the rank
 * @param joined a worker holds this rank (false while the generation waits for it)
 * @param connected that worker's control connection is open
 * @param pid the worker's process id (0 when not joined)
 * @param host the address its ring listens on (empty when not joined)
 * @param lastSeenUnixMs when the coordinator last heard from it (any message, heartbeats included)
 * @param lastStep the last step it reported (0: none yet in this generation)
 * @param computeMs that step's compute time on this rank
 * @param allreduceMs that step's all-reduce time on this rank
 */
public record RankHealth(int rank, boolean joined, boolean connected, long pid, String host, long lastSeenUnixMs,
    long lastStep, double computeMs, double allreduceMs) {}
