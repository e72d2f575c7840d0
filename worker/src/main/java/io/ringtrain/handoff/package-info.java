/**
 * Peer recovery's transport: a surviving worker serves the training state it holds (parameters,
 * AdamW moments, step and data cursor) to the workers of the next generation that lack it, so that
 * nobody goes back to a checkpoint. One authenticated, checksummed stream per request, over plain
 * blocking sockets on threads of their own: a bulk copy done once per recovery, never on the ring.
 */
package io.ringtrain.handoff;
