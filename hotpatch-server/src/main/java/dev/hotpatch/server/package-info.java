/**
 * The Hotpatch control plane. {@link dev.hotpatch.server.HotpatchServer} is the entry point and the
 * only API of this module; the sub-packages are its parts, one per concept (catalog, release,
 * machine, assessment, install, history, auth, node, store, api), public only so they can see each
 * other. Clients talk to the server over HTTP: see {@code docs/api.md} and {@code /api/openapi.json}.
 */
package dev.hotpatch.server;
