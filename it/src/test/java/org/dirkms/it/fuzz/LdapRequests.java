package org.dirkms.it.fuzz;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The protocol operations of RFC 4511 section 4 as BER, each taking raw octets where the RFC
 * has an LDAPString or LDAPDN so that anything can be sent. A filter is given already encoded
 * ({@link FilterTerm#encode()}).
 */
final class LdapRequests {
    /** Modify operations (RFC 4511 section 4.6; increment is RFC 4525). */
    static final int ADD = 0;
    static final int DELETE = 1;
    static final int REPLACE = 2;
    static final int INCREMENT = 3;

    private LdapRequests() {
    }

    /** The LDAPMessage envelope: messageID, the operation, and optional encoded controls. */
    static byte[] message(int messageId, byte[] operation, byte[] controls) {
        List<byte[]> parts = new ArrayList<>();
        parts.add(Ber.integer(0x02, messageId));
        parts.add(operation);
        if (controls != null) {
            parts.add(Ber.tlv(0xa0, controls));
        }
        return Ber.constructed(0x30, parts);
    }

    /** One Control ::= SEQUENCE { controlType, criticality, controlValue }. */
    static byte[] control(String oid, boolean critical, byte[] value) {
        List<byte[]> parts = new ArrayList<>();
        parts.add(Ber.string(0x04, oid));
        if (critical) {
            parts.add(Ber.bool(0x01, true));
        }
        if (value != null) {
            parts.add(Ber.tlv(0x04, value));
        }
        return Ber.constructed(0x30, parts);
    }

    /** A simple BindRequest. */
    static byte[] bind(String dn, String password) {
        return Ber.constructed(0x60, Ber.integer(0x02, 3), Ber.string(0x04, dn == null ? "" : dn),
                Ber.string(0x80, password == null ? "" : password));
    }

    /** An ExtendedRequest with no value. */
    static byte[] extended(String oid) {
        return Ber.constructed(0x77, Ber.string(0x80, oid));
    }

    /** A SearchRequest. */
    static byte[] search(byte[] base, int scope, int deref, int sizeLimit, int timeLimit, boolean typesOnly,
            byte[] filter, List<byte[]> attributes) {
        List<byte[]> selection = new ArrayList<>();
        for (byte[] attribute : attributes) {
            selection.add(Ber.tlv(0x04, attribute));
        }
        return Ber.constructed(0x63, Ber.tlv(0x04, base), Ber.integer(0x0a, scope), Ber.integer(0x0a, deref),
                Ber.integer(0x02, sizeLimit), Ber.integer(0x02, timeLimit), Ber.bool(0x01, typesOnly), filter,
                Ber.constructed(0x30, selection));
    }

    /** A base-scope search of {@code dn} for no attributes: the liveness probe. */
    static byte[] probe(String dn) {
        return search(dn.getBytes(StandardCharsets.UTF_8), 0, 0, 1, 10, false,
                Ber.string(0x87, "objectClass"), List.of("1.1".getBytes(StandardCharsets.US_ASCII)));
    }

    /** One change of a ModifyRequest. */
    record Change(int operation, byte[] attribute, List<byte[]> values) {
    }

    /** A ModifyRequest. */
    static byte[] modify(byte[] dn, List<Change> changes) {
        List<byte[]> encoded = new ArrayList<>();
        for (Change change : changes) {
            encoded.add(Ber.constructed(0x30, Ber.integer(0x0a, change.operation()),
                    attribute(change.attribute(), change.values())));
        }
        return Ber.constructed(0x66, Ber.tlv(0x04, dn), Ber.constructed(0x30, encoded));
    }

    /** An attribute of an AddRequest. */
    record Attribute(byte[] type, List<byte[]> values) {
        static Attribute of(String type, String... values) {
            List<byte[]> bytes = new ArrayList<>();
            for (String value : values) {
                bytes.add(value.getBytes(StandardCharsets.UTF_8));
            }
            return new Attribute(type.getBytes(StandardCharsets.UTF_8), bytes);
        }
    }

    /** An AddRequest. */
    static byte[] add(byte[] dn, List<Attribute> attributes) {
        List<byte[]> encoded = new ArrayList<>();
        for (Attribute attribute : attributes) {
            encoded.add(attribute(attribute.type(), attribute.values()));
        }
        return Ber.constructed(0x68, Ber.tlv(0x04, dn), Ber.constructed(0x30, encoded));
    }

    private static byte[] attribute(byte[] type, List<byte[]> values) {
        List<byte[]> vals = new ArrayList<>();
        for (byte[] value : values) {
            vals.add(Ber.tlv(0x04, value));
        }
        return Ber.constructed(0x30, Ber.tlv(0x04, type), Ber.constructed(0x31, vals));
    }

    /** A DelRequest. */
    static byte[] delete(byte[] dn) {
        return Ber.tlv(0x4a, dn);
    }

    /** A ModifyDNRequest; {@code newSuperior} may be null. */
    static byte[] modifyDn(byte[] dn, byte[] newRdn, boolean deleteOldRdn, byte[] newSuperior) {
        List<byte[]> parts = new ArrayList<>(List.of(Ber.tlv(0x04, dn), Ber.tlv(0x04, newRdn),
                Ber.bool(0x01, deleteOldRdn)));
        if (newSuperior != null) {
            parts.add(Ber.tlv(0x80, newSuperior));
        }
        return Ber.constructed(0x6c, parts);
    }

    /** A CompareRequest. */
    static byte[] compare(byte[] dn, byte[] attribute, byte[] value) {
        return Ber.constructed(0x6e, Ber.tlv(0x04, dn),
                Ber.constructed(0x30, Ber.tlv(0x04, attribute), Ber.tlv(0x04, value)));
    }
}
