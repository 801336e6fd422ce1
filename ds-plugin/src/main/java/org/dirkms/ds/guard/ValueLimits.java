package org.dirkms.ds.guard;

import java.nio.charset.StandardCharsets;
import java.util.List;

import org.apache.directory.api.ldap.model.exception.LdapException;
import org.apache.directory.api.ldap.model.exception.LdapInvalidAttributeValueException;
import org.apache.directory.api.ldap.model.message.ResultCodeEnum;
import org.apache.directory.api.ldap.model.name.Dn;
import org.dirkms.schema.KmsSchema;

/**
 * Bounds on the size of what a client writes, checked before the write reaches the partition.
 *
 * <p>ApacheDS keeps text values in its replication (syncrepl) event log with Java's
 * {@code writeUTF}, which cannot hold more than 65,535 bytes: a longer value was accepted by
 * the partition, answered with "other" (80), served until the next restart and then lost, and
 * never reached the agent. Every text value and every DN is therefore held to
 * {@value #MAX_TEXT_BYTES} bytes of UTF-8 (at most 1.5 times that in Java's modified UTF-8, well
 * inside the limit). Binary values do not go through {@code writeUTF}; those written by anyone
 * but the KMS are held to {@value #MAX_BINARY_BYTES} bytes, far above any certificate, request
 * or key package a person sends, while the KMS itself may write up to the protocol's own limit
 * (large CRLs, recovery packages of a long key history).
 */
final class ValueLimits {

    /** The most bytes (UTF-8) of one text value or of a DN. */
    static final int MAX_TEXT_BYTES = 32 * 1024;
    /** The most bytes of one binary value written by anyone but the KMS. */
    static final int MAX_BINARY_BYTES = 1024 * 1024;

    private ValueLimits() {
    }

    /**
     * Refuses a write with a value or a DN that is too large.
     *
     * @throws LdapInvalidAttributeValueException constraintViolation naming the attribute, the
     *         size and the limit (never the value)
     */
    static void check(Identity who, Dn dn, List<AttributeChange> changes) throws LdapException {
        if (dn != null && dn.getName().getBytes(StandardCharsets.UTF_8).length > MAX_TEXT_BYTES) {
            throw tooLarge("the DN", dn.getName().getBytes(StandardCharsets.UTF_8).length, MAX_TEXT_BYTES);
        }
        for (AttributeChange change : changes) {
            boolean binary = isBinary(change.attribute());
            int limit = binary ? (who.isTrusted() ? Integer.MAX_VALUE : MAX_BINARY_BYTES) : MAX_TEXT_BYTES;
            for (byte[] value : change.values()) {
                if (value.length > limit) {
                    throw tooLarge("a value of " + AccessPolicy.display(change.attribute()), value.length, limit);
                }
            }
        }
    }

    /**
     * Whether the attribute holds binary values (certificates, CRLs, PKCS#7/#10/#12, CMS,
     * passwords): the KMS's octet-string attributes and the standard certificate, CRL and
     * password attributes; everything else is text.
     */
    static boolean isBinary(String attribute) {
        return KmsSchema.attributeType(attribute)
                .map(type -> type.syntax() == org.dirkms.schema.Syntax.OCTET_STRING)
                .orElse(BINARY_STANDARD.contains(attribute));
    }

    private static final java.util.Set<String> BINARY_STANDARD = java.util.Set.of("usercertificate",
            "usersmimecertificate", "cacertificate", "certificaterevocationlist", "authorityrevocationlist",
            "deltarevocationlist", "crosscertificatepair", "userpassword", "jpegphoto", "userpkcs12", "photo",
            "audio", "supportedalgorithms");

    private static LdapInvalidAttributeValueException tooLarge(String what, int size, int limit) {
        return new LdapInvalidAttributeValueException(ResultCodeEnum.CONSTRAINT_VIOLATION,
                what + " is " + size + " bytes; the directory accepts at most " + limit + " bytes");
    }
}
