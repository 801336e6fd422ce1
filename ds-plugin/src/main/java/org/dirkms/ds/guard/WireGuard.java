package org.dirkms.ds.guard;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.apache.directory.api.ldap.model.entry.Attribute;
import org.apache.directory.api.ldap.model.entry.Entry;
import org.apache.directory.api.ldap.model.entry.Modification;
import org.apache.directory.api.ldap.model.exception.LdapException;
import org.apache.directory.api.ldap.model.message.AddRequest;
import org.apache.directory.api.ldap.model.message.AddResponseImpl;
import org.apache.directory.api.ldap.model.message.BindRequest;
import org.apache.directory.api.ldap.model.message.BindResponseImpl;
import org.apache.directory.api.ldap.model.message.CompareRequest;
import org.apache.directory.api.ldap.model.message.CompareResponseImpl;
import org.apache.directory.api.ldap.model.message.LdapResult;
import org.apache.directory.api.ldap.model.message.ModifyRequest;
import org.apache.directory.api.ldap.model.message.ModifyResponseImpl;
import org.apache.directory.api.ldap.model.message.ResultCodeEnum;
import org.apache.directory.api.ldap.model.message.ResultResponse;
import org.apache.directory.api.ldap.model.message.SearchRequest;
import org.apache.directory.api.ldap.model.message.SearchResultDoneImpl;
import org.apache.directory.api.ldap.model.message.SearchResultEntry;
import org.apache.directory.api.ldap.model.message.controls.SortKey;
import org.apache.directory.api.ldap.model.message.controls.SortRequest;
import org.apache.directory.server.ldap.LdapServer;
import org.apache.directory.server.ldap.LdapSession;
import org.apache.directory.server.protocol.shared.transport.Transport;
import org.apache.mina.core.filterchain.DefaultIoFilterChainBuilder;
import org.apache.mina.core.filterchain.IoFilterAdapter;
import org.apache.mina.core.service.IoService;
import org.apache.mina.core.service.IoServiceListener;
import org.apache.mina.core.session.IdleStatus;
import org.apache.mina.core.session.IoSession;
import org.apache.mina.core.write.WriteRequest;
import org.dirkms.schema.AttributeNames;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Guards what the LDAP server writes to the wire, for the paths that bypass interceptors.
 *
 * <p>ApacheDS sends persistent-search and syncrepl notifications straight from its event
 * listeners to the client's MINA session, and wraps every refusal in a diagnostic that echoes
 * the whole request. The guard is a MINA {@link org.apache.mina.core.filterchain.IoFilter}
 * placed right after the LDAP codec of every transport, so that it sees decoded requests on the
 * way in and response objects on the way out:
 * <ul>
 * <li>every {@link SearchResultEntry} leaving the server is reduced to what the session's
 * bound identity may read ({@link KmsInterceptor#guardEntry}), whatever produced it;</li>
 * <li>a search whose filter (or server-side sort key) tests what the identity may not test is answered
 * insufficientAccessRights at once, before ApacheDS registers it — a changes-only persistent
 * search is never run through the interceptors, and its filter alone would tell who has a
 * secret;</li>
 * <li>the diagnostic of every response that contains one of the guard's own refusal messages
 * is replaced by that message alone (no echo of the request); the diagnostic of a response to
 * a request that carried a secret value (a secret attribute or {@code userPassword} in an add,
 * modify, compare or filter) is never sent as ApacheDS wrote it;</li>
 * <li>secrets travel over protected connections only (docs/security.md): on a session
 * without TLS (neither LDAPS nor StartTLS) every secret attribute is left out of every entry,
 * whoever reads, and a request that carries a secret value or tests a secret (add, modify,
 * compare, filter, sort key) is answered confidentialityRequired before ApacheDS sees it —
 * except deleting a secret without naming its value, which carries nothing;</li>
 * <li>a bind with a password (or a SASL bind) on a session without TLS is answered
 * confidentialityRequired, unless the server was started to allow it (loopback labs);</li>
 * <li>the schema's SINGLE-VALUE refusal of a second {@code kmsAssignedServer} is reworded to
 * say that an administrative group has at most one KMS server.</li>
 * </ul>
 * It also anchors the audit head when the server stops listening (see {@link KmsInterceptor#anchorNow()}).
 */
public final class WireGuard extends IoFilterAdapter {

    /** Name of the guard in each transport's MINA filter chain. */
    public static final String FILTER_NAME = "dirkmsWireGuard";
    /** Name ApacheDS gives its LDAP codec filter; the guard goes right after it. */
    static final String CODEC_FILTER_NAME = "codec";
    /** Diagnostic sent instead of one that may echo a secret. */
    static final String WITHHELD = "the request was refused; the server's diagnostic is withheld because "
            + "the request carried a secret value";

    private static final String CARRIERS = WireGuard.class.getName() + ".requests";
    private static final Logger LOG = LoggerFactory.getLogger(WireGuard.class);

    /** Diagnostic of a bind with a password refused on a connection without TLS. */
    static final String PLAIN_BIND_REFUSED = "a bind with a password needs a protected connection, so that the "
            + "password does not cross the network in clear: use StartTLS (ldapsearch -ZZ) or LDAPS (ldaps://)";

    private final LdapServer ldapServer;
    private final KmsInterceptor interceptor;
    private final boolean plainBinds;

    private WireGuard(LdapServer ldapServer, KmsInterceptor interceptor, boolean plainBinds) {
        this.ldapServer = ldapServer;
        this.interceptor = interceptor;
        this.plainBinds = plainBinds;
    }

    /**
     * Installs the guard on every transport of a started LDAP server, after its codec filter,
     * for the sessions to come and those already open.
     *
     * @param ldapServer  the started server
     * @param interceptor the KMS interceptor of the server's directory service
     * @param plainBinds  whether binds with a password are accepted without TLS (loopback labs)
     * @throws IllegalStateException when a transport has no LDAP codec filter to follow
     */
    public static void install(LdapServer ldapServer, KmsInterceptor interceptor, boolean plainBinds) {
        WireGuard guard = new WireGuard(ldapServer, interceptor, plainBinds);
        for (Transport transport : ldapServer.getTransports()) {
            if (transport.getAcceptor() == null) {
                continue; // not bound (e.g. a disabled LDAPS transport)
            }
            DefaultIoFilterChainBuilder chain = transport.getAcceptor().getFilterChain();
            if (!chain.contains(CODEC_FILTER_NAME)) {
                throw new IllegalStateException("the LDAP transport on port " + transport.getPort()
                        + " has no '" + CODEC_FILTER_NAME + "' filter; start the LdapServer before installing the guard");
            }
            if (!chain.contains(FILTER_NAME)) {
                chain.addAfter(CODEC_FILTER_NAME, FILTER_NAME, guard);
            }
            transport.getAcceptor().addListener(new AnchorOnStop(interceptor));
            for (IoSession session : transport.getAcceptor().getManagedSessions().values()) {
                if (!session.getFilterChain().contains(FILTER_NAME)) {
                    session.getFilterChain().addAfter(CODEC_FILTER_NAME, FILTER_NAME, guard);
                }
            }
        }
    }

    /**
     * Anchors the audit head when a transport stops listening. {@code LdapServer.stop()} unbinds
     * its transports before the directory service shuts down, and ApacheDS destroys partitions
     * before interceptors, so this is the last moment the anchor can still be written.
     */
    private static final class AnchorOnStop implements IoServiceListener {
        private final KmsInterceptor interceptor;

        AnchorOnStop(KmsInterceptor interceptor) {
            this.interceptor = interceptor;
        }

        @Override
        public void serviceDeactivated(IoService service) {
            try {
                interceptor.anchorNow();
            } catch (LdapException e) {
                // The chain on disk is whole and forced; only its anchor lags. Shutdown goes on.
                LOG.warn("could not anchor the audit head at shutdown: {}", e.getMessage());
            }
        }

        @Override
        public void serviceActivated(IoService service) {
            // nothing to do
        }

        @Override
        public void serviceIdle(IoService service, IdleStatus idleStatus) {
            // nothing to do
        }

        @Override
        public void sessionCreated(IoSession session) {
            // nothing to do
        }

        @Override
        public void sessionClosed(IoSession session) {
            // nothing to do
        }

        @Override
        public void sessionDestroyed(IoSession session) {
            // nothing to do
        }
    }

    /** What the guard remembers of a request until its final response. */
    private record Carried(boolean secret, boolean assignedServer) {
    }

    @Override
    public void messageReceived(NextFilter next, IoSession session, Object message) throws Exception {
        boolean secured = session.isSecured();
        if (message instanceof BindRequest bind && !secured && !plainBinds && carriesCredentials(bind)) {
            // RFC 4513 section 6.3.1: a server should refuse simple binds with a password on
            // unprotected connections (confidentialityRequired), and dirkms does by default.
            answer(session, new BindResponseImpl(bind.getMessageId()), ResultCodeEnum.CONFIDENTIALITY_REQUIRED,
                    PLAIN_BIND_REFUSED);
            return;
        }
        if (message instanceof SearchRequest search) {
            Identity who = identity(session);
            List<String> attributes = new ArrayList<>(KmsInterceptor.filterAttributes(search.getFilter()));
            // Server-side sorting (RFC 2891) by a secret would order entries by its value: a
            // sort key is judged like a filter term.
            if (search.getControl(SortRequest.OID) instanceof SortRequest sort && sort.getSortKeys() != null) {
                for (SortKey key : sort.getSortKeys()) {
                    attributes.add(key.getAttributeTypeDesc());
                }
            }
            String refusal = interceptor.filterRefusal(who, attributes);
            if (refusal != null) {
                answer(session, new SearchResultDoneImpl(search.getMessageId()),
                        ResultCodeEnum.INSUFFICIENT_ACCESS_RIGHTS, refusal);
                return;
            }
            String secret = firstKmsSecret(attributes);
            if (!secured && secret != null) {
                answer(session, new SearchResultDoneImpl(search.getMessageId()),
                        ResultCodeEnum.CONFIDENTIALITY_REQUIRED, confidentiality(secret, "search by"));
                return;
            }
            if (who.has(Role.ANONYMOUS)
                    && (search.getSizeLimit() == 0 || search.getSizeLimit() > AccessPolicy.ANONYMOUS_SIZE_LIMIT)) {
                // Mail clients look addresses up one at a time; an anonymous search gets at most
                // this many entries, while authenticated identities (the KMS agent reconciling
                // the whole tree, administrators) get every entry they may read.
                search.setSizeLimit(AccessPolicy.ANONYMOUS_SIZE_LIMIT);
            }
            remember(session, search.getMessageId(), new Carried(anySecret(attributes), false));
        } else if (message instanceof AddRequest add) {
            boolean secret = false;
            boolean assigned = false;
            String kmsSecret = null;
            for (Attribute attribute : add.getEntry()) {
                String name = interceptor.canonicalName(attribute);
                secret |= carriesSecret(name);
                assigned |= name.equals(ASSIGNED_SERVER_LC);
                kmsSecret = kmsSecret == null && AccessPolicy.isSecret(name) && attribute.size() > 0 ? name : kmsSecret;
            }
            if (!secured && kmsSecret != null) {
                answer(session, new AddResponseImpl(add.getMessageId()), ResultCodeEnum.CONFIDENTIALITY_REQUIRED,
                        confidentiality(kmsSecret, "write"));
                return;
            }
            remember(session, add.getMessageId(), new Carried(secret, assigned));
        } else if (message instanceof ModifyRequest modify) {
            boolean secret = false;
            boolean assigned = false;
            String kmsSecret = null;
            for (Modification modification : modify.getModifications()) {
                String name = interceptor.canonicalName(modification.getAttribute());
                boolean values = modification.getAttribute().size() > 0;
                secret |= carriesSecret(name) && values;
                assigned |= name.equals(ASSIGNED_SERVER_LC);
                // Deleting a secret without naming its value (the user's fetch confirmation)
                // carries nothing: it may go over any connection.
                kmsSecret = kmsSecret == null && AccessPolicy.isSecret(name) && values ? name : kmsSecret;
            }
            if (!secured && kmsSecret != null) {
                answer(session, new ModifyResponseImpl(modify.getMessageId()), ResultCodeEnum.CONFIDENTIALITY_REQUIRED,
                        confidentiality(kmsSecret, "write"));
                return;
            }
            remember(session, modify.getMessageId(), new Carried(secret, assigned));
        } else if (message instanceof CompareRequest compare) {
            String name = interceptor.canonicalName(compare.getAttributeId());
            if (!secured && AccessPolicy.isSecret(name)) {
                answer(session, new CompareResponseImpl(compare.getMessageId()), ResultCodeEnum.CONFIDENTIALITY_REQUIRED,
                        confidentiality(name, "compare"));
                return;
            }
            remember(session, compare.getMessageId(), new Carried(carriesSecret(name), false));
        }
        next.messageReceived(session, message);
    }

    /** Whether a bind authenticates (a password or a SASL mechanism), rather than being anonymous. */
    private static boolean carriesCredentials(BindRequest bind) {
        if (!bind.isSimple()) {
            return true;
        }
        byte[] credentials = bind.getCredentials();
        return credentials != null && credentials.length > 0;
    }

    /** Sends {@code response} with a refusal at once; the request goes no further. */
    private static void answer(IoSession session, ResultResponse response, ResultCodeEnum code, String message) {
        response.getLdapResult().setResultCode(code);
        response.getLdapResult().setDiagnosticMessage(message);
        session.write(response);
    }

    private static String confidentiality(String attribute, String what) {
        return "you may " + what + " " + AccessPolicy.display(attribute) + ", a secret attribute, only over a protected"
                + " connection: use LDAPS or StartTLS (e.g. ldapmodify -ZZ)";
    }

    private String firstKmsSecret(List<String> attributeIds) {
        for (String id : attributeIds) {
            String name = interceptor.canonicalName(id);
            if (AccessPolicy.isSecret(name)) {
                return name;
            }
        }
        return null;
    }

    @Override
    public void filterWrite(NextFilter next, IoSession session, WriteRequest request) throws Exception {
        Object message = request.getMessage();
        if (message instanceof SearchResultEntry result) {
            Entry guarded = interceptor.guardEntry(identity(session), result.getEntry());
            if (!session.isSecured()) {
                guarded = interceptor.withoutSecrets(guarded);
            }
            if (guarded != result.getEntry()) {
                result.setEntry(guarded);
            }
        } else if (message instanceof ResultResponse response) {
            Carried carried = forget(session, response.getMessageId());
            sanitise(response.getLdapResult(), carried);
        }
        next.filterWrite(session, request);
    }

    private void sanitise(LdapResult result, Carried carried) {
        if (result == null || result.getResultCode() == ResultCodeEnum.SUCCESS) {
            return;
        }
        String diagnostic = result.getDiagnosticMessage();
        String own = interceptor.refusals().find(diagnostic);
        if (own != null) {
            result.setDiagnosticMessage(own);
        } else if (carried != null && carried.assignedServer()
                && result.getResultCode() == ResultCodeEnum.CONSTRAINT_VIOLATION && namesAssignedServer(diagnostic)) {
            // The schema interceptor refuses a second value of the SINGLE-VALUE kmsAssignedServer
            // before the KMS interceptor sees the request; say what that means here.
            result.setDiagnosticMessage(WriteValidator.ONE_SERVER_MESSAGE);
        } else if (carried != null && carried.secret() && diagnostic != null && !diagnostic.isEmpty()) {
            result.setDiagnosticMessage(WITHHELD + " (" + result.getResultCode().getMessage() + ")");
        }
    }

    private static boolean namesAssignedServer(String diagnostic) {
        if (diagnostic == null) {
            return false;
        }
        String lower = diagnostic.toLowerCase(Locale.ROOT);
        return lower.contains(ASSIGNED_SERVER_LC) || lower.contains(ASSIGNED_SERVER_OID);
    }

    private Identity identity(IoSession session) {
        LdapSession ldapSession = ldapServer.getLdapSessionManager().getLdapSession(session);
        if (ldapSession == null || ldapSession.getCoreSession() == null) {
            return Identity.ANONYMOUS;
        }
        return interceptor.identityOf(ldapSession.getCoreSession());
    }

    private static final String ASSIGNED_SERVER_LC = AttributeNames.ASSIGNED_SERVER.toLowerCase(Locale.ROOT);
    private static final String ASSIGNED_SERVER_OID = org.dirkms.schema.KmsSchema
            .attributeType(AttributeNames.ASSIGNED_SERVER).orElseThrow().oid();
    private static final String USER_PASSWORD_LC = AttributeNames.USER_PASSWORD.toLowerCase(Locale.ROOT);

    private static boolean carriesSecret(String name) {
        return AccessPolicy.isSecret(name) || name.equals(USER_PASSWORD_LC);
    }

    private boolean anySecret(List<String> attributeIds) {
        for (String id : attributeIds) {
            if (carriesSecret(interceptor.canonicalName(id))) {
                return true;
            }
        }
        return false;
    }

    @SuppressWarnings("unchecked")
    private static Map<Integer, Carried> carried(IoSession session) {
        Object map = session.getAttribute(CARRIERS);
        if (map == null) {
            Object created = new ConcurrentHashMap<Integer, Carried>();
            map = session.setAttributeIfAbsent(CARRIERS, created);
            if (map == null) {
                map = created;
            }
        }
        return (Map<Integer, Carried>) map;
    }

    private static void remember(IoSession session, int messageId, Carried what) {
        if (what.secret() || what.assignedServer()) {
            carried(session).put(messageId, what);
        }
    }

    private static Carried forget(IoSession session, int messageId) {
        Object map = session.getAttribute(CARRIERS);
        return map == null ? null : carried(session).remove(messageId);
    }
}
