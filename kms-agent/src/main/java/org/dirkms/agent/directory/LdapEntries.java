package org.dirkms.agent.directory;

import org.apache.directory.api.ldap.codec.api.BinaryAttributeDetector;
import org.apache.directory.api.ldap.codec.api.ConfigurableBinaryAttributeDetector;
import org.apache.directory.ldap.client.api.LdapNetworkConnection;
import org.dirkms.schema.AttributeNames;
import org.dirkms.schema.AttributeTypeDefinition;
import org.dirkms.schema.KmsSchema;
import org.dirkms.schema.Syntax;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.apache.directory.api.ldap.codec.api.LdapApiService;
import org.apache.directory.api.ldap.codec.controls.OpaqueControlFactory;
import org.apache.directory.api.ldap.model.entry.Attribute;
import org.apache.directory.api.ldap.model.entry.Entry;
import org.apache.directory.api.ldap.model.entry.Modification;
import org.apache.directory.api.ldap.model.entry.Value;
import org.apache.directory.api.ldap.model.exception.LdapException;
import org.apache.directory.api.ldap.model.exception.LdapNoSuchObjectException;
import org.apache.directory.api.ldap.model.message.ModifyRequest;
import org.apache.directory.api.ldap.model.message.ModifyResponse;
import org.apache.directory.api.ldap.model.message.SearchScope;
import org.apache.directory.api.ldap.model.message.controls.OpaqueControl;
import org.apache.directory.ldap.client.api.LdapConnection;

/** The few LDAP operations the record classes share, with failures turned into {@link DirectoryAccessException}s. */
final class LdapEntries {
    private final LdapConnection connection;
    private final PagedSearch searches;

    LdapEntries(LdapConnection connection) {
        this(connection, PagedSearch.DEFAULT_PAGE_SIZE);
    }

    LdapEntries(LdapConnection connection, int pageSize) {
        this.connection = connection;
        this.searches = new PagedSearch(connection, pageSize);
    }

    void add(Entry entry) throws LdapException {
        connection.add(entry);
    }

    void modify(String dn, Modification... modifications) {
        try {
            connection.modify(dn, modifications);
        } catch (LdapException e) {
            throw failure("modify", dn, e);
        }
    }

    /** Modifies and lets the caller see the LDAP API exception (for test-and-set). */
    void modifyOrThrow(String dn, Modification... modifications) throws LdapException {
        connection.modify(dn, modifications);
    }

    /**
     * Sends {@code request} and returns the server's response whatever its result code, for
     * callers that tell result codes apart (e.g. assertionFailed). Each control of the request
     * must be one the codec knows; see {@link #allowOpaqueRequestControl}.
     */
    ModifyResponse modify(ModifyRequest request) throws LdapException {
        return connection.modify(request);
    }

    /**
     * Lets this connection's codec send a request control it has no class for, its value given
     * already encoded ({@link OpaqueControl}): the codec refuses to encode a control whose OID
     * it does not know.
     */
    void allowOpaqueRequestControl(String oid) {
        LdapApiService codec = connection.getCodecService();
        if (!codec.getRequestControlFactories().containsKey(oid)) {
            codec.registerRequestControl(new OpaqueControlFactory(codec, oid));
        }
    }

    /** Deletes the entry; one already gone counts as deleted (a retry after the delete reached the server). */
    void delete(String dn) {
        try {
            connection.delete(dn);
        } catch (LdapNoSuchObjectException e) {
            return;
        } catch (LdapException e) {
            throw failure("delete", dn, e);
        }
    }

    Optional<Entry> read(String dn, String... attributes) {
        try {
            return Optional.ofNullable(connection.lookup(dn, attributes));
        } catch (LdapNoSuchObjectException e) {
            return Optional.empty();
        } catch (LdapException e) {
            throw failure("read", dn, e);
        }
    }

    /**
     * Every matching entry, paged and split as {@link PagedSearch} does, so that a server's size
     * limit never hides an entry from a listing; an empty list when {@code base} does not exist.
     */
    List<Entry> search(String base, String filter, SearchScope scope, String... attributes) {
        return searches.all(base, filter, scope, attributes);
    }

    /** At most {@code limit} matching entries, in one search without paging ({@link PagedSearch#upTo}). */
    List<Entry> searchUpTo(int limit, String base, String filter, SearchScope scope, String... attributes) {
        return searches.upTo(limit, base, filter, scope, attributes);
    }

    /** The first value of {@code attribute} as a string, or null when it has none. */
    static String first(Entry entry, String attribute) {
        List<String> values = strings(entry, attribute);
        return values.isEmpty() ? null : values.get(0);
    }

    /** The UTF-8 of a token, with the encoder's own buffer overwritten; the caller clears the result. */
    static byte[] utf8(char[] token) {
        java.nio.ByteBuffer encoded = java.nio.charset.StandardCharsets.UTF_8.encode(java.nio.CharBuffer.wrap(token));
        byte[] bytes = new byte[encoded.remaining()];
        encoded.get(bytes);
        if (encoded.hasArray()) {
            java.util.Arrays.fill(encoded.array(), (byte) 0);
        }
        return bytes;
    }

    static List<String> strings(Entry entry, String attribute) {
        Attribute values = entry.get(attribute);
        List<String> strings = new ArrayList<>();
        if (values != null) {
            for (Value value : values) {
                strings.add(value.getString());
            }
        }
        return strings;
    }

    /** Binary values of {@code attribute}, also when the server returned them under {@code attribute;binary}. */
    /**
     * Tells {@code connection}'s codec which attributes hold binary values: without a schema, the
     * LDAP API decodes every value it is not told about as UTF-8 text, which corrupts DER. These
     * are the KMS attributes of octet-string syntax ({@link KmsSchema}) and the standard
     * certificate and CRL attributes (RFC 4523).
     */
    static void declareBinaryAttributes(LdapNetworkConnection connection) {
        BinaryAttributeDetector detector = connection.getConfig().getBinaryAttributeDetector();
        if (detector instanceof ConfigurableBinaryAttributeDetector configurable) {
            List<String> binary = new ArrayList<>(List.of(AttributeNames.USER_CERTIFICATE,
                    AttributeNames.USER_SMIME_CERTIFICATE, AttributeNames.CA_CERTIFICATE,
                    AttributeNames.CERTIFICATE_REVOCATION_LIST, AttributeNames.AUTHORITY_REVOCATION_LIST,
                    AttributeNames.DELTA_REVOCATION_LIST, AttributeNames.CROSS_CERTIFICATE_PAIR));
            for (AttributeTypeDefinition type : KmsSchema.attributeTypes()) {
                if (type.syntax() == Syntax.OCTET_STRING) {
                    binary.add(type.name());
                }
            }
            configurable.addBinaryAttribute(binary.toArray(String[]::new));
        }
    }

    static List<byte[]> bytes(Entry entry, String attribute) {
        List<byte[]> result = new ArrayList<>();
        for (Attribute candidate : entry.getAttributes()) {
            String id = candidate.getUpId();
            int option = id.indexOf(';');
            String base = option < 0 ? id : id.substring(0, option);
            if (base.equalsIgnoreCase(attribute)) {
                for (Value value : candidate) {
                    result.add(value.getBytes());
                }
            }
        }
        return result;
    }

    /**
     * A failure of a write that carried a secret: only the result code is kept, neither the
     * server's diagnostic nor the exception as a cause, because some servers echo the whole
     * request (values included) in their diagnostic (ApacheDS does).
     */
    static DirectoryAccessException secretWriteFailure(String operation, String dn, LdapException e) {
        String code = e instanceof org.apache.directory.api.ldap.model.exception.LdapOperationException operation2
                ? operation2.getResultCode().getMessage() : e.getClass().getSimpleName();
        return new DirectoryAccessException("cannot " + operation + " " + dn + ": " + code
                + " (the server's diagnostic is not kept: the request carried a secret)");
    }

    static DirectoryAccessException failure(String operation, String dn, Exception e) {
        return new DirectoryAccessException("cannot " + operation + " " + dn + ": " + e.getMessage(), e);
    }
}
