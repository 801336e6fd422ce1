package org.dirkms.agent.archive;

import java.util.Objects;

/**
 * A private key as archived: what a {@code kmsArchivedKey} entry stores.
 *
 * @param envelopedDataDer the DER of the CMS ContentInfo holding EnvelopedData whose content is
 *        the private key's PKCS#8 PrivateKeyInfo (RFC 5208): {@code kmsWrappedKey}
 * @param wrappingAlgorithm {@link #RSA_OAEP_SHA256_AES256} or {@link #ECDH_SHA256KDF_AES256_WRAP}:
 *        {@code kmsWrappingAlgorithm}
 * @param wrappingKeyId the id of the recovery certificate it is wrapped to
 *        ({@link org.dirkms.agent.keys.RecoveryKey#keyIdOf}): {@code kmsWrappingKeyId}
 */
public record WrappedKey(byte[] envelopedDataDer, String wrappingAlgorithm, String wrappingKeyId) {
    /** Key transport with RSAES-OAEP, SHA-256 and MGF1-SHA-256 (RFC 4055 section 4), content in AES-256-CBC. */
    public static final String RSA_OAEP_SHA256_AES256 = "rsaes-oaep-sha256/aes256-cbc";
    /**
     * Key agreement with dhSinglePass-stdDH-sha256kdf-scheme (RFC 5753 section 7.1.4), the
     * content-encryption key wrapped with id-aes256-wrap (RFC 3394), content in AES-256-CBC.
     */
    public static final String ECDH_SHA256KDF_AES256_WRAP = "dhSinglePass-stdDH-sha256kdf/aes256-wrap/aes256-cbc";

    /** Copies the bytes and requires every part. */
    public WrappedKey {
        envelopedDataDer = Objects.requireNonNull(envelopedDataDer, "envelopedDataDer").clone();
        Objects.requireNonNull(wrappingAlgorithm, "wrappingAlgorithm");
        Objects.requireNonNull(wrappingKeyId, "wrappingKeyId");
    }

    /** A copy of the EnvelopedData DER. */
    @Override
    public byte[] envelopedDataDer() {
        return envelopedDataDer.clone();
    }

    /** Compares the bytes, not the array identity. */
    @Override
    public boolean equals(Object other) {
        return other instanceof WrappedKey that && java.util.Arrays.equals(envelopedDataDer, that.envelopedDataDer)
                && wrappingAlgorithm.equals(that.wrappingAlgorithm) && wrappingKeyId.equals(that.wrappingKeyId);
    }

    /** Consistent with {@link #equals}. */
    @Override
    public int hashCode() {
        return java.util.Arrays.hashCode(envelopedDataDer) * 31 + Objects.hash(wrappingAlgorithm, wrappingKeyId);
    }

    /** Names the algorithm, the recovery key and the size; the bytes are encrypted but still not shown. */
    @Override
    public String toString() {
        return "WrappedKey[" + wrappingAlgorithm + ", " + wrappingKeyId + ", " + envelopedDataDer.length + " bytes]";
    }
}
