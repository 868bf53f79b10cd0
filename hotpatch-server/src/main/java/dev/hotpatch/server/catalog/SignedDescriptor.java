package dev.hotpatch.server.catalog;

/**
 * The publisher's signed release descriptor of a baseline or restart update, as the catalog keeps
 * it: who signed it (subject and certificate SHA-256), and the descriptor file itself, which nodes
 * download and verify again against their own trust folder before installing anything it names.
 *
 * @param certificateSha256 SHA-256 of the signer's certificate, 64 hex digits
 * @param downloadUrl       relative to the server, like every blob
 */
public record SignedDescriptor(String signer, String certificateSha256, String sha256, String downloadUrl) {
    static SignedDescriptor of(String sha256, String signer, String certificateSha256) {
        return sha256 == null ? null : new SignedDescriptor(signer, certificateSha256, sha256, "/api/v1/blobs/" + sha256);
    }
}
