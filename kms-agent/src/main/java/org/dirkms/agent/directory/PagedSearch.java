package org.dirkms.agent.directory;

import static org.dirkms.schema.AttributeNames.OBJECT_CLASS;

import java.io.IOException;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.WeakHashMap;
import java.util.concurrent.locks.ReentrantLock;
import org.apache.directory.api.ldap.model.cursor.CursorException;
import org.apache.directory.api.ldap.model.cursor.SearchCursor;
import org.apache.directory.api.ldap.model.entry.Attribute;
import org.apache.directory.api.ldap.model.entry.Entry;
import org.apache.directory.api.ldap.model.entry.Value;
import org.apache.directory.api.ldap.model.exception.LdapException;
import org.apache.directory.api.ldap.model.message.AliasDerefMode;
import org.apache.directory.api.ldap.model.message.LdapResult;
import org.apache.directory.api.ldap.model.message.Response;
import org.apache.directory.api.ldap.model.message.ResultCodeEnum;
import org.apache.directory.api.ldap.model.message.SearchRequest;
import org.apache.directory.api.ldap.model.message.SearchRequestImpl;
import org.apache.directory.api.ldap.model.message.SearchResultDone;
import org.apache.directory.api.ldap.model.message.SearchResultEntry;
import org.apache.directory.api.ldap.model.message.SearchScope;
import org.apache.directory.api.ldap.model.message.controls.PagedResults;
import org.apache.directory.api.ldap.model.message.controls.PagedResultsImpl;
import org.apache.directory.api.ldap.model.name.Dn;
import org.apache.directory.ldap.client.api.LdapConnection;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every entry a search matches, also on a server that limits how many entries one search returns:
 * the one way this package searches.
 *
 * <ol>
 * <li>Pages with the Simple Paged Results control (RFC 2696), {@value #DEFAULT_PAGE_SIZE} entries
 * a page, following the cookie until the server returns an empty one. That gets past a limit a
 * server applies per page (Active Directory's MaxPageSize; OpenLDAP with {@code size.prtotal}).
 * A server that does not list the control in its root DSE's {@code supportedControl}, or answers
 * unavailableCriticalExtension, gets plain searches; one that refuses the page size with
 * adminLimitExceeded (OpenLDAP's {@code size.pr}) gets half the page size until it accepts.</li>
 * <li>When the search still ends in sizeLimitExceeded, because the server caps the whole search,
 * paged or not (measured: ApacheDS 2.0.0.AM27 counts its maxSizeLimit over all pages of a
 * paged search; OpenLDAP 2.5 by default caps a paged search at its hard limit, 500), it splits
 * the search in two by entryUUID ({@link EntryUuidRange}) and searches each half the same way,
 * until every part fits.</li>
 * <li>If the halves do not account for the entries the whole search returned (a server without
 * entryUUID ordering) or a half is refused, it acts on what came back and says so in one WARN
 * line: a partial listing is never an error, because the next sweep sees the rest once the
 * users returned first have left the state searched for.</li>
 * </ol>
 *
 * <p>A missing base is an empty result (the records' containers are created lazily); any other
 * result code is a {@link DirectoryAccessException}. Search references are not followed: the
 * agent reads one server. Thread-safe: what it learns about the server is kept in volatile fields.
 */
final class PagedSearch {
    /** Entries asked for per page: a few round trips for thousands of users, little memory per page. */
    static final int DEFAULT_PAGE_SIZE = 200;

    private static final Logger LOG = LoggerFactory.getLogger(PagedSearch.class);
    private static final String NO_ATTRIBUTES = "1.1";
    private static final String ENTRY_UUID = "entryUUID";

    /**
     * One lock per connection, held for the whole of a paged search (every page, and the release
     * of one cut short). A server may keep one paged search per connection: slapd 2.5 answers the
     * next page of a search whose connection meanwhile started another paged search with
     * unwillingToPerform ("paged results cookie is invalid or old"), and the agent's sweep and its
     * workers list over one connection. Plain searches are not held up.
     */
    private static final Map<LdapConnection, ReentrantLock> PAGING = Collections.synchronizedMap(new WeakHashMap<>());

    private final LdapConnection connection;
    /** Null until the root DSE was read; false once the server showed it cannot page. */
    private volatile Boolean paging;
    private volatile int pageSize;

    PagedSearch(LdapConnection connection, int pageSize) {
        if (pageSize < 1) {
            throw new IllegalArgumentException("a page holds at least one entry, not " + pageSize);
        }
        this.connection = connection;
        this.pageSize = pageSize;
    }

    /**
     * Every entry below {@code base} in {@code scope} that matches {@code filter}, with
     * {@code attributes}, each once, in the order the server returned them.
     *
     * @throws DirectoryAccessException when the connection fails or the server refuses the search
     */
    List<Entry> all(String base, String filter, SearchScope scope, String... attributes) {
        String parenthesized = filter.startsWith("(") ? filter : "(" + filter + ")";
        Map<String, Entry> found = new LinkedHashMap<>();
        boolean complete;
        try {
            complete = collect(base, parenthesized, scope, attributes, EntryUuidRange.ALL, found);
        } catch (Refused e) {
            throw new DirectoryAccessException(e.getMessage());
        }
        if (!complete) {
            LOG.warn("The search {} under {} reached the server's size limit, and the server neither pages past it"
                    + " nor splits it by entryUUID (RFC 4530): acting on the {} entries it returned; the rest are"
                    + " seen once these leave the state searched for, or when the limit for the agent's identity is"
                    + " raised", parenthesized, base, found.size());
        }
        return new ArrayList<>(found.values());
    }

    /**
     * At most {@code limit} matching entries, in one search without paging: what a caller that
     * runs the same search every second needs, and acts on part of a large result anyway (a CA
     * taking a few requests of the queue). No paged search's state stays in the server's session
     * between two requests, so a client killed in the middle leaves nothing open there.
     *
     * @throws DirectoryAccessException when the connection fails or the server refuses the search
     */
    List<Entry> upTo(int limit, String base, String filter, SearchScope scope, String... attributes) {
        String parenthesized = filter.startsWith("(") ? filter : "(" + filter + ")";
        SearchRequest request = request(base, parenthesized, scope, attributes);
        request.setSizeLimit(limit);
        try {
            return new ArrayList<>(run(request, base, parenthesized, new LinkedHashMap<>()).entries().values());
        } catch (Refused e) {
            throw new DirectoryAccessException(e.getMessage());
        }
    }

    /** Adds what {@code range} of the search matches to {@code found}; false if some of it may be missing. */
    private boolean collect(String base, String filter, SearchScope scope, String[] attributes, EntryUuidRange range,
            Map<String, Entry> found) {
        Batch whole = range == EntryUuidRange.ALL ? search(base, filter, scope, attributes)
                : withinRange(search(base, range.restrict(filter), scope, withEntryUuid(attributes)), range, attributes);
        if (!whole.truncated()) {
            whole.addTo(found);
            return true;
        }
        if (!range.divisible()) {
            whole.addTo(found);
            return false;
        }
        Map<String, Entry> halves = new LinkedHashMap<>();
        boolean complete = true;
        try {
            for (EntryUuidRange half : range.halves()) {
                complete &= collect(base, filter, scope, attributes, half, halves);
            }
        } catch (Refused e) {
            LOG.debug("The server refused a search restricted by entryUUID: {}", e.getMessage());
            complete = false;
        }
        if (!halves.keySet().containsAll(whole.entries().keySet())) {
            // The halves miss entries the whole range returned: the server does not order
            // entryUUID as RFC 4530 says (or has none), so splitting cannot be trusted here.
            complete = false;
        }
        whole.addTo(found);
        found.putAll(halves);
        return complete;
    }

    /**
     * {@code batch} as the caller asked for it, once every entry's entryUUID is seen to lie in
     * {@code range}: a server that ignored or misread the restriction would otherwise make each
     * half as large as the whole, and the split would never end.
     */
    private static Batch withinRange(Batch batch, EntryUuidRange range, String[] requested) {
        boolean keep = Arrays.stream(requested).anyMatch(a -> a.equalsIgnoreCase(ENTRY_UUID) || a.equals("+"));
        for (Entry entry : batch.entries().values()) {
            Attribute uuid = entry.get(ENTRY_UUID);
            BigInteger value = uuid == null || uuid.get() == null ? null : EntryUuidRange.value(uuid.get());
            if (value == null || !range.contains(value)) {
                throw new Refused("the server returned " + entry.getDn().getName() + " with entryUUID "
                        + (uuid == null ? "(none)" : uuid.get()) + " for a search restricted to " + range.restrict("")
                        + ": it does not order entryUUID as RFC 4530 says");
            }
            if (!keep) {
                entry.removeAttributes(ENTRY_UUID);
            }
        }
        return batch;
    }

    private static String[] withEntryUuid(String[] attributes) {
        if (Arrays.stream(attributes).anyMatch(a -> a.equalsIgnoreCase(ENTRY_UUID) || a.equals("+"))) {
            return attributes;
        }
        boolean none = attributes.length == 1 && NO_ATTRIBUTES.equals(attributes[0]);
        String[] extended = none ? new String[] {OBJECT_CLASS, ENTRY_UUID} : Arrays.copyOf(attributes, attributes.length + 1);
        extended[extended.length - 1] = ENTRY_UUID;
        return extended;
    }

    private Batch search(String base, String filter, SearchScope scope, String[] attributes) {
        if (paging == null) {
            paging = advertisesPaging();
        }
        if (paging) {
            try {
                return paged(base, filter, scope, attributes);
            } catch (PagingRefused e) {
                paging = false;
                LOG.info("The server refused the Simple Paged Results control (unavailableCriticalExtension);"
                        + " searching without it");
            }
        }
        return run(request(base, filter, scope, attributes), base, filter, new LinkedHashMap<>());
    }

    private Batch paged(String base, String filter, SearchScope scope, String[] attributes) {
        ReentrantLock lock = PAGING.computeIfAbsent(connection, c -> new ReentrantLock());
        lock.lock();
        try {
            return pagedAlone(base, filter, scope, attributes);
        } finally {
            lock.unlock();
        }
    }

    /** {@link #paged}, while no other paged search runs on the connection. */
    private Batch pagedAlone(String base, String filter, SearchScope scope, String[] attributes) {
        Map<String, Entry> entries = new LinkedHashMap<>();
        byte[] cookie = null;
        while (true) {
            int size = pageSize;
            SearchRequest request = request(base, filter, scope, attributes);
            PagedResults control = new PagedResultsImpl();
            control.setSize(size);
            control.setCookie(cookie);
            // Critical: a server that cannot page this search says so (RFC 4511 section 4.1.11)
            // instead of ignoring the control, and then gets a plain search.
            control.setCritical(true);
            request.addControl(control);
            SearchResultDone done = execute(request, base, filter, entries);
            LdapResult result = done.getLdapResult();
            ResultCodeEnum code = result.getResultCode();
            if (code == ResultCodeEnum.SUCCESS) {
                // RFC 2696 section 3: an empty cookie in the response marks the last page; a
                // server that ignored the control sent everything at once and no control at all.
                PagedResults response = (PagedResults) done.getControl(PagedResults.OID);
                if (response == null || response.getCookie() == null || response.getCookie().length == 0) {
                    return new Batch(entries, false);
                }
                cookie = response.getCookie();
            } else if (code == ResultCodeEnum.SIZE_LIMIT_EXCEEDED) {
                if (cookie != null) {
                    release(base, filter, scope, attributes, cookie);
                }
                return new Batch(entries, true);
            } else if (code == ResultCodeEnum.UNAVAILABLE_CRITICAL_EXTENSION && cookie == null) {
                throw new PagingRefused();
            } else if (code == ResultCodeEnum.ADMIN_LIMIT_EXCEEDED && cookie == null && entries.isEmpty() && size > 1) {
                // The server caps the page size (OpenLDAP size.pr): ask for smaller pages.
                pageSize = Math.max(1, size / 2);
                LOG.info("The server refused pages of {} entries ({}); asking for {}", size, result.getDiagnosticMessage(),
                        pageSize);
            } else if (code == ResultCodeEnum.NO_SUCH_OBJECT && cookie == null) {
                return new Batch(entries, false);
            } else {
                throw refusal(base, filter, result);
            }
        }
    }

    /**
     * Tells the server the paged search holding {@code cookie} is over (a page size of 0, RFC 2696
     * section 3). ApacheDS AM27 ends a paged search at its size limit without dropping the
     * search's state from the session (it removes cookie 0 instead of the search's), so without
     * this every cut-short search of a sweep would stay in the agent's long-lived session. The
     * answer is not judged: a server that already dropped the search may call the cookie invalid,
     * and the listing does not depend on it.
     */
    private void release(String base, String filter, SearchScope scope, String[] attributes, byte[] cookie) {
        SearchRequest request = request(base, filter, scope, attributes);
        PagedResults control = new PagedResultsImpl();
        control.setSize(0);
        control.setCookie(cookie);
        request.addControl(control);
        SearchResultDone done = execute(request, base, filter, new LinkedHashMap<>());
        LOG.debug("Released the paged search {} under {}: {}", filter, base, done.getLdapResult().getResultCode());
    }

    private Batch run(SearchRequest request, String base, String filter, Map<String, Entry> entries) {
        LdapResult result = execute(request, base, filter, entries).getLdapResult();
        ResultCodeEnum code = result.getResultCode();
        if (code == ResultCodeEnum.SUCCESS || code == ResultCodeEnum.NO_SUCH_OBJECT) {
            return new Batch(entries, false);
        }
        if (code == ResultCodeEnum.SIZE_LIMIT_EXCEEDED) {
            return new Batch(entries, true);
        }
        throw refusal(base, filter, result);
    }

    private SearchResultDone execute(SearchRequest request, String base, String filter, Map<String, Entry> entries) {
        try (SearchCursor cursor = connection.search(request)) {
            while (cursor.next()) {
                Response response = cursor.get();
                if (response instanceof SearchResultEntry result) {
                    Entry entry = result.getEntry();
                    entries.put(entry.getDn().getNormName(), entry);
                }
            }
            SearchResultDone done = cursor.getSearchResultDone();
            if (done == null) {
                throw new DirectoryAccessException("cannot search " + filter + " under " + base
                        + ": the connection ended before the search did");
            }
            return done;
        } catch (LdapException | CursorException | IOException e) {
            throw LdapEntries.failure("search " + filter + " under", base, e);
        }
    }

    private boolean advertisesPaging() {
        try {
            Entry rootDse = connection.lookup(Dn.ROOT_DSE, "supportedControl");
            if (rootDse == null || rootDse.get("supportedControl") == null) {
                return true; // the root DSE says nothing: try, unavailableCriticalExtension tells
            }
            for (Value value : (Attribute) rootDse.get("supportedControl")) {
                if (PagedResults.OID.equals(value.getString().trim())) {
                    return true;
                }
            }
            LOG.info("The server does not list the Simple Paged Results control ({}) in its root DSE;"
                    + " searching without it", PagedResults.OID);
            return false;
        } catch (LdapException e) {
            throw LdapEntries.failure("read the supportedControl of", "the root DSE", e);
        }
    }

    private static SearchRequest request(String base, String filter, SearchScope scope, String[] attributes) {
        // "1.1" asks for no attributes (RFC 4511 section 4.5.1.8). ApacheDS AM27 fails such a search
        // wherever it looks one entry ahead, at the end of each page and at its size limit
        // (measured: a paged 1.1 search returned its first page and then success without a
        // cookie, silently dropping the rest; a plain one at the limit ended in other (80)), so
        // the DNs are fetched with objectClass, which every entry has and every reader may see.
        String[] requested = attributes.length == 1 && NO_ATTRIBUTES.equals(attributes[0])
                ? new String[] {OBJECT_CLASS} : attributes;
        try {
            // The KMS tree has no aliases: never dereference (RFC 4511 section 4.5.1.3).
            return new SearchRequestImpl().setBase(new Dn(base)).setFilter(filter).setScope(scope)
                    .setDerefAliases(AliasDerefMode.NEVER_DEREF_ALIASES).addAttributes(requested);
        } catch (LdapException e) {
            throw LdapEntries.failure("search " + filter + " under", base, e);
        }
    }

    private static Refused refusal(String base, String filter, LdapResult result) {
        return new Refused("cannot search " + filter + " under " + base + ": " + result.getResultCode().getMessage()
                + (result.getDiagnosticMessage() == null || result.getDiagnosticMessage().isBlank() ? ""
                        : " (" + result.getDiagnosticMessage() + ")"));
    }

    /** What one search returned, and whether the server's size limit cut it short. */
    private record Batch(Map<String, Entry> entries, boolean truncated) {
        void addTo(Map<String, Entry> found) {
            found.putAll(entries);
        }
    }

    /** The server answered the search with a result code that says it will not do it. */
    private static final class Refused extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Refused(String message) {
            super(message, null, false, false);
        }
    }

    /** The server cannot page (unavailableCriticalExtension on the first page). */
    private static final class PagingRefused extends RuntimeException {
        private static final long serialVersionUID = 1L;

        PagingRefused() {
            super(null, null, false, false);
        }
    }
}
