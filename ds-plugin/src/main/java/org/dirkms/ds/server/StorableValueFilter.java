package org.dirkms.ds.server;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

import org.apache.directory.api.ldap.model.entry.Attribute;
import org.apache.directory.api.ldap.model.entry.DefaultAttribute;
import org.apache.directory.api.ldap.model.entry.Modification;
import org.apache.directory.api.ldap.model.entry.ModificationOperation;
import org.apache.directory.api.ldap.model.entry.Value;
import org.apache.directory.api.ldap.model.exception.LdapException;
import org.apache.directory.api.ldap.model.message.AddRequest;
import org.apache.directory.api.ldap.model.message.AddResponseImpl;
import org.apache.directory.api.ldap.model.message.CompareRequest;
import org.apache.directory.api.ldap.model.message.CompareResponseImpl;
import org.apache.directory.api.ldap.model.message.DeleteRequest;
import org.apache.directory.api.ldap.model.message.DeleteResponseImpl;
import org.apache.directory.api.ldap.model.message.ModifyDnRequest;
import org.apache.directory.api.ldap.model.message.ModifyDnResponseImpl;
import org.apache.directory.api.ldap.model.message.ModifyRequest;
import org.apache.directory.api.ldap.model.message.ModifyResponseImpl;
import org.apache.directory.api.ldap.model.message.ResultCodeEnum;
import org.apache.directory.api.ldap.model.message.ResultResponse;
import org.apache.directory.api.ldap.model.name.Dn;
import org.apache.directory.api.ldap.model.schema.AttributeType;
import org.apache.directory.api.ldap.model.schema.SchemaManager;
import org.apache.directory.server.ldap.LdapServer;
import org.apache.mina.core.filterchain.IoFilterAdapter;
import org.apache.mina.core.session.IoSession;
import org.dirkms.schema.AttributeNames;
import org.dirkms.schema.KmsSchema;

/**
 * Refuses, before ApacheDS 2.0.0.AM27 sees it, an add, modify or compare carrying a value AM27
 * cannot normalize or cannot store, which it would fail with other (80) and the Java stack trace
 * in the diagnostic: invalidAttributeSyntax (21) for the first, constraintViolation (19, a size
 * constraint, RFC 4511 section 4.1.9) for the second; and any request naming an entry by a DN
 * AM27 cannot normalize (one that was not UTF-8), invalidDNSyntax (34).
 *
 * <p>AM27 normalizes every value while it builds the operation (for a modify,
 * {@code ServerEntryUtils.toServerModification} through {@code new DefaultAttribute(type, attribute)};
 * the same for the entry of an add and the assertion of a compare), before its schema
 * interceptor could check the syntax, and the normalizer of a DN, a GeneralizedTime or an
 * enumeration's caseExactMatch throws IllegalArgumentException for a value it cannot parse
 * ("=x,dc=example,dc=com", "now", octets that are not UTF-8). Found by the fuzz suite
 * ({@code ServerFuzzIT}); measured on the wire before this filter.
 *
 * <p>AM27's partition writes each text value, and its normalized form, with
 * {@code DataOutput.writeUTF}, which takes at most {@value #LONGEST_TEXT} octets of (modified)
 * UTF-8: a longer value passes every check and fails at commit time. A DN's normalized form
 * (types as OIDs) is longer than the DN. Found by the fuzz suite too.
 *
 * <p>This MINA filter, right after the LDAP codec of every transport, builds each value the way
 * AM27 does and refuses the request when that fails or the value is too long, naming the
 * attribute and the value — cut to a readable length, and never shown for a secret attribute or
 * {@code userPassword}. Attributes the schema does not know are left to ApacheDS.
 */
final class StorableValueFilter extends IoFilterAdapter {

    /** Name of this filter in each transport's MINA filter chain. */
    static final String FILTER_NAME = "dirkmsValueSyntax";
    /** The longest value shown in a refusal. */
    private static final int SHOWN = 64;
    /** The most octets {@code DataOutput.writeUTF} writes: AM27's limit on a stored text value. */
    static final int LONGEST_TEXT = 65_535;
    private static final Set<String> NEVER_SHOWN = never();

    private final SchemaManager schemaManager;

    private StorableValueFilter(SchemaManager schemaManager) {
        this.schemaManager = schemaManager;
    }

    /** Installs one filter right after the LDAP codec of every transport of a started LDAP server. */
    static void install(LdapServer ldapServer) {
        CodecFilters.installRightAfterCodec(ldapServer, FILTER_NAME,
                new StorableValueFilter(ldapServer.getDirectoryService().getSchemaManager()));
    }

    @Override
    public void messageReceived(NextFilter next, IoSession session, Object message) throws Exception {
        ResultResponse refusal = refusal(schemaManager, message);
        if (refusal != null) {
            session.write(refusal);
            return;
        }
        next.messageReceived(session, message);
    }

    /** The response refusing {@code message}, or null when its values can be stored (or it has none). */
    static ResultResponse refusal(SchemaManager schemaManager, Object message) {
        Refusal refusal = null;
        ResultResponse response = null;
        if (message instanceof AddRequest add) {
            refusal = unnormalizableName(schemaManager, add.getEntryDn());
            refusal = refusal != null ? refusal : unknownObjectClass(schemaManager, add.getEntry().get("objectClass"));
            refusal = refusal != null ? refusal : firstRefused(schemaManager, add.getEntry().getAttributes(), true);
            response = new AddResponseImpl(add.getMessageId());
        } else if (message instanceof ModifyRequest modify) {
            List<Attribute> attributes = new ArrayList<>();
            for (Modification modification : modify.getModifications()) {
                attributes.add(modification.getAttribute());
                if (refusal == null && modification.getOperation() != ModificationOperation.REMOVE_ATTRIBUTE
                        && isObjectClass(schemaManager, modification.getAttribute())) {
                    refusal = unknownObjectClass(schemaManager, modification.getAttribute());
                }
            }
            refusal = refusal != null ? refusal : unnormalizableName(schemaManager, modify.getName());
            refusal = refusal != null ? refusal : firstRefused(schemaManager, attributes, true);
            response = new ModifyResponseImpl(modify.getMessageId());
        } else if (message instanceof CompareRequest compare) {
            refusal = unnormalizableName(schemaManager, compare.getName());
            if (refusal == null && compare.getAttributeId() != null && compare.getAssertionValue() != null) {
                refusal = firstRefused(schemaManager,
                        List.of(new DefaultAttribute(compare.getAttributeId(), compare.getAssertionValue())), false);
            }
            response = new CompareResponseImpl(compare.getMessageId());
        } else if (message instanceof DeleteRequest delete) {
            refusal = unnormalizableName(schemaManager, delete.getName());
            response = new DeleteResponseImpl(delete.getMessageId());
        } else if (message instanceof ModifyDnRequest modifyDn) {
            refusal = unnormalizableName(schemaManager, modifyDn.getName());
            refusal = refusal != null ? refusal : unnormalizableName(schemaManager, modifyDn.getNewSuperior());
            response = new ModifyDnResponseImpl(modifyDn.getMessageId());
        }
        if (refusal == null) {
            return null;
        }
        response.getLdapResult().setResultCode(refusal.code());
        response.getLdapResult().setDiagnosticMessage(refusal.message());
        return response;
    }

    private record Refusal(ResultCodeEnum code, String message) {
    }

    /**
     * invalidDNSyntax for a name AM27's schema-aware parse fails on with a RuntimeException (a
     * name that was not UTF-8 holds U+FFFD, which its normalizer refuses with
     * IllegalArgumentException while building the operation: other, 80). A name it refuses with
     * LdapInvalidDnException, or naming unknown types, AM27 answers itself.
     */
    private static Refusal unnormalizableName(SchemaManager schemaManager, Dn name) {
        if (name == null || name.isEmpty()) {
            return null;
        }
        try {
            new Dn(schemaManager, name);
            return null;
        } catch (LdapException e) {
            return null;
        } catch (RuntimeException e) {
            return new Refusal(ResultCodeEnum.INVALID_DN_SYNTAX, "'" + printable(new Value(name.getName()))
                    + "' is not a valid DN (RFC 4514): a value of it cannot be normalized; send the name in UTF-8");
        }
    }

    /**
     * objectClassViolation (65, RFC 4511 section 4.7: the entry would not conform to the schema)
     * for an object class value the schema does not define: AM27 fails such an add or modify with
     * loopDetect (54) or other (80) and its internal message (ERR_13735). Found by the fuzz suite.
     */
    private static Refusal unknownObjectClass(SchemaManager schemaManager, Attribute objectClasses) {
        if (objectClasses == null) {
            return null;
        }
        for (Value value : objectClasses) {
            String name = value.isHumanReadable() ? value.getString() : null;
            try {
                if (name != null && !name.isBlank()) {
                    schemaManager.getObjectClassRegistry().lookup(name.trim());
                }
            } catch (LdapException | RuntimeException e) {
                return new Refusal(ResultCodeEnum.OBJECT_CLASS_VIOLATION, "objectClass: '" + printable(value)
                        + "' is not an object class of this directory's schema; correct the name");
            }
        }
        return null;
    }

    private static boolean isObjectClass(SchemaManager schemaManager, Attribute attribute) {
        String id = attribute.getUpId();
        if (id == null) {
            return false;
        }
        int options = id.indexOf(';');
        AttributeType type = schemaManager.getAttributeType(options < 0 ? id : id.substring(0, options));
        return type != null && "2.5.4.0".equals(type.getOid());
    }

    /**
     * The first value AM27 cannot normalize, or, when the values are to be {@code stored} (an add,
     * a modify; not a compare's assertion), cannot store.
     */
    private static Refusal firstRefused(SchemaManager schemaManager, Iterable<Attribute> attributes, boolean stored) {
        for (Attribute attribute : attributes) {
            String id = attribute.getUpId();
            if (id == null || attribute.size() == 0) {
                continue;
            }
            int options = id.indexOf(';');
            AttributeType type = schemaManager.getAttributeType(options < 0 ? id : id.substring(0, options));
            if (type == null) {
                continue;
            }
            String name = type.getName() == null ? type.getOid() : type.getName();
            try {
                // What AM27 does to each attribute of the request. Its normalizers throw what they
                // throw: IllegalArgumentException, and ArrayIndexOutOfBoundsException (the OID
                // normalizer, for a character past ASCII) among others.
                new DefaultAttribute(type, attribute);
            } catch (LdapException | RuntimeException e) {
                return new Refusal(ResultCodeEnum.INVALID_ATTRIBUTE_SYNTAX, unnormalizable(type, name, attribute));
            }
            for (Value value : stored ? attribute : List.<Value>of()) {
                long longest = longestStoredForm(type, value);
                if (longest > LONGEST_TEXT) {
                    return new Refusal(ResultCodeEnum.CONSTRAINT_VIOLATION, name + ": a value of " + longest
                            + " octets is longer than the " + LONGEST_TEXT + " octets this directory stores in a text value");
                }
            }
        }
        return null;
    }

    /** The octets writeUTF would take for the longer of the value and its normalized form; 0 for binary values. */
    private static long longestStoredForm(AttributeType type, Value value) {
        if (type.getSyntax() == null || !type.getSyntax().isHumanReadable()) {
            return 0;
        }
        String text = value.isHumanReadable() ? value.getString()
                : new String(value.getBytes(), java.nio.charset.StandardCharsets.UTF_8);
        long longest = modifiedUtf8Length(text);
        if (longest > LONGEST_TEXT / 3) {
            try {
                longest = Math.max(longest, modifiedUtf8Length(new Value(type, value).getNormalized()));
            } catch (LdapException | RuntimeException e) {
                // judged above
            }
        }
        return longest;
    }

    /** The length {@code DataOutputStream.writeUTF} gives {@code text}: 1 octet to U+007F (not NUL), 2 to U+07FF, else 3. */
    static long modifiedUtf8Length(String text) {
        if (text == null) {
            return 0;
        }
        long octets = 0;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            octets += c >= 0x0001 && c <= 0x007f ? 1 : c <= 0x07ff ? 2 : 3;
        }
        return octets;
    }

    private static String unnormalizable(AttributeType type, String name, Attribute attribute) {
        String syntax = type.getSyntax() == null || type.getSyntax().getDescription() == null ? type.getSyntaxOid()
                : type.getSyntax().getDescription();
        String shown = "a value";
        if (!NEVER_SHOWN.contains(name.toLowerCase(Locale.ROOT))) {
            for (Value value : attribute) {
                try {
                    new Value(type, value);
                } catch (LdapException | RuntimeException e) {
                    shown = "'" + printable(value) + "'";
                    break;
                }
            }
        }
        return name + ": " + shown + " is not a valid " + syntax + " (RFC 4517); correct the value and send it again";
    }

    private static String printable(Value value) {
        String text = value.isHumanReadable() ? value.getString() : new String(value.getBytes(),
                java.nio.charset.StandardCharsets.UTF_8);
        StringBuilder out = new StringBuilder();
        text.codePoints().limit(SHOWN).forEach(c -> {
            if (c < 0x20 || c == 0x7f || c == 0xfffd) {
                out.append(String.format("\\%02x", c & 0xff));
            } else {
                out.appendCodePoint(c);
            }
        });
        return text.codePointCount(0, text.length()) > SHOWN ? out + "..." : out.toString();
    }

    private static Set<String> never() {
        Set<String> names = new java.util.HashSet<>(KmsSchema.secretAttributeNames());
        names.add(AttributeNames.USER_PASSWORD.toLowerCase(Locale.ROOT));
        return Set.copyOf(names);
    }
}
