package org.dirkms.ds.server;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

import org.apache.directory.api.ldap.model.constants.LdapSecurityConstants;
import org.apache.directory.api.ldap.model.constants.SchemaConstants;
import org.apache.directory.api.ldap.model.entry.Attribute;
import org.apache.directory.api.ldap.model.entry.DefaultModification;
import org.apache.directory.api.ldap.model.entry.Entry;
import org.apache.directory.api.ldap.model.entry.ModificationOperation;
import org.apache.directory.api.ldap.model.entry.Value;
import org.apache.directory.api.ldap.model.exception.LdapException;
import org.apache.directory.api.ldap.model.exception.LdapNoSuchObjectException;
import org.apache.directory.api.ldap.model.name.Dn;
import org.apache.directory.api.ldap.model.password.PasswordUtil;
import org.apache.directory.api.ldap.model.schema.LdapComparator;
import org.apache.directory.api.ldap.model.schema.SchemaManager;
import org.apache.directory.api.ldap.model.schema.comparators.NormalizingComparator;
import org.apache.directory.api.ldap.schema.loader.LdifSchemaLoader;
import org.apache.directory.api.ldap.schema.manager.impl.DefaultSchemaManager;
import org.apache.directory.api.util.exception.Exceptions;
import org.apache.directory.server.constants.ServerDNConstants;
import org.apache.directory.server.core.DefaultDirectoryService;
import org.apache.directory.server.core.api.CoreSession;
import org.apache.directory.server.core.api.DirectoryService;
import org.apache.directory.server.core.api.InstanceLayout;
import org.apache.directory.server.core.api.InterceptorEnum;
import org.apache.directory.server.core.api.interceptor.Interceptor;
import org.apache.directory.server.core.api.schema.SchemaPartition;
import org.apache.directory.server.core.hash.Pkcs5s2PasswordHashingInterceptor;
import org.apache.directory.server.core.partition.impl.btree.jdbm.JdbmIndex;
import org.apache.directory.server.core.partition.impl.btree.jdbm.JdbmPartition;
import org.apache.directory.server.core.partition.ldif.LdifPartition;
import org.apache.directory.server.ldap.LdapServer;
import org.apache.directory.server.ldap.handlers.extended.StartTlsHandler;
import org.apache.directory.server.ldap.handlers.extended.WhoAmIHandler;
import org.apache.directory.server.ldap.replication.provider.SyncReplRequestHandler;
import org.apache.directory.server.protocol.shared.transport.TcpTransport;
import org.apache.directory.server.xdbm.Index;
import org.dirkms.ds.audit.AuditChainException;
import org.dirkms.ds.guard.KmsInterceptor;
import org.dirkms.ds.guard.WireGuard;
import org.dirkms.schema.AttributeNames;
import org.dirkms.schema.DataFolder;
import org.dirkms.schema.DirectoryLayout;
import org.dirkms.schema.PasswordFile;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The embedded dirkms directory: ApacheDS over a data folder that survives restarts, serving
 * LDAP (with StartTLS) and LDAPS on one address, with the KMS schema, the bootstrap tree, the
 * KMS guard, persistent search and the syncrepl provider.
 *
 * <p>At first start it extracts the ApacheDS schema, adds the KMS schema, loads the bootstrap
 * LDIF, generates the administrator's and the KMS agent's passwords (files of mode 0600 in the
 * data folder) and makes the TLS credentials. Later starts reuse all of that and add only what
 * a newer version brings (missing KMS schema elements).
 *
 * <p>At every start, once the suffix partition (which holds the anchor of the audit chain) is
 * open and before anything is appended to the audit log, the whole log is checked against the
 * anchored head; a log that disagrees (missing, truncated, rewritten, reordered) makes the start
 * fail, unless the operator accepts it for this start ({@link ServerSettings#acceptBrokenAuditLog()},
 * see {@link org.dirkms.ds.audit.AuditStartCheck}). The head is anchored again at the end of every
 * start.
 *
 * <p>The data folder's layout is {@link DataFolder}'s: partitions, TLS credentials, audit log,
 * password files, suffix, bootstrap marker, lock (held while a server runs) and endpoint (where
 * the running server listens: {@link ServerEndpoint}). The folder is mode 0700 (an existing
 * looser one is tightened) and, once the server listens, every folder in it 0700 and every file
 * 0600 ({@link DataFolderPermissions}).
 */
public final class DirectoryServer implements AutoCloseable {

    /** The indexed attributes of the suffix partition: what the agent and clients filter on. */
    public static final List<String> INDEXED_ATTRIBUTES = List.of(SchemaConstants.OBJECT_CLASS_AT,
            SchemaConstants.ENTRY_UUID_AT, SchemaConstants.ENTRY_CSN_AT, SchemaConstants.CN_AT, SchemaConstants.UID_AT,
            SchemaConstants.MAIL_AT, SchemaConstants.MEMBER_AT, AttributeNames.ENROLLMENT_STATE,
            AttributeNames.REQUEST_STATE, AttributeNames.RECOVERY_STATE, AttributeNames.ADMINISTRATIVE_GROUP,
            AttributeNames.ASSIGNED_SERVER, AttributeNames.KEY_OWNER, AttributeNames.RECOVERY_TARGET,
            AttributeNames.REQUEST_SUBJECT);

    /**
     * The longest request a client may send, in octets: far above any KMS value (certificates,
     * CRLs, CMS, wrapped keys) or LDIF record, and the most the decoder allocates for one.
     * ApacheDS leaves it unbounded when embedded, so an element whose length field claims up to
     * 2 GB was allocated in full and held while the server waited for its octets (and one
     * claiming just under 2^31 overflowed the decoder's own check and killed the I/O thread
     * serving it): a dozen octets per connection, from anyone, before a bind or StartTLS.
     * Longer requests end their connection.
     */
    public static final int MAX_REQUEST_OCTETS = 8 << 20;

    private static final Logger LOG = LoggerFactory.getLogger(DirectoryServer.class);
    private static final List<String> TLS_PROTOCOLS = List.of("TLSv1.3", "TLSv1.2");

    private final ServerSettings settings;
    private final DirectoryLayout layout;
    private final DirectoryService directoryService;
    private final LdapServer ldapServer;
    private final KmsInterceptor kmsInterceptor;
    private final TlsCredentials tls;
    private final int ldapPort;
    private final int ldapsPort;
    private final String adminPassword;
    private final String agentPassword;
    private final DataFolderLock lock;

    private DirectoryServer(ServerSettings settings, DirectoryLayout layout, DirectoryService directoryService,
            LdapServer ldapServer, KmsInterceptor kmsInterceptor, TlsCredentials tls, int ldapPort, int ldapsPort,
            String adminPassword, String agentPassword, DataFolderLock lock) {
        this.settings = settings;
        this.layout = layout;
        this.directoryService = directoryService;
        this.ldapServer = ldapServer;
        this.kmsInterceptor = kmsInterceptor;
        this.tls = tls;
        this.ldapPort = ldapPort;
        this.ldapsPort = ldapsPort;
        this.adminPassword = adminPassword;
        this.agentPassword = agentPassword;
        this.lock = lock;
    }

    /**
     * Starts the server with the system clock, a strong random source and the self-signed TLS
     * credentials.
     *
     * @throws ServerStartException naming the step that failed; nothing is left running
     */
    public static DirectoryServer start(ServerSettings settings) throws ServerStartException {
        SecureRandom random = new SecureRandom();
        return start(settings, random, new SelfSignedTlsCredentialSource(Clock.systemUTC(), random));
    }

    /**
     * Starts the server.
     *
     * @param settings where the data lives and where to listen
     * @param random   source of generated passwords
     * @param tlsSource where the TLS key and certificate come from
     * @throws ServerStartException naming the step that failed; nothing is left running
     */
    public static DirectoryServer start(ServerSettings settings, SecureRandom random, TlsCredentialSource tlsSource)
            throws ServerStartException {
        Objects.requireNonNull(settings, "settings");
        Objects.requireNonNull(random, "random");
        Objects.requireNonNull(tlsSource, "tlsSource");
        long started = System.nanoTime();
        DataFolder data = settings.dataFolder();
        DirectoryLayout layout = new DirectoryLayout(settings.suffix());
        DefaultDirectoryService service = null;
        LdapServer ldap = null;
        DataFolderLock lock = null;
        String step = "create the data folder " + data.root();
        try {
            DataFolderPermissions.createOrTighten(data.root());
            step = "lock the data folder " + data.root();
            lock = DataFolderLock.acquire(data);
            // Before the directory loads (and logs): a port in use is then one line, not
            // ApacheDS's ERR_171 and its stack trace after a whole start.
            step = "listen on " + settings.bindAddress();
            checkPortFree("LDAP", settings.bindAddress(), settings.ldapPort());
            checkPortFree("LDAPS", settings.bindAddress(), settings.ldapsPort());
            // A killed server's endpoint must not be read while this one starts (see ServerEndpoint).
            ServerEndpoint.remove(data);
            step = "load the schema from " + data.schemaPartition();
            service = newDirectoryService(data);
            step = "check the suffix of the data folder";
            checkSuffix(data.suffix(), settings.suffix(), service.getSchemaManager());

            step = "create the system partition";
            service.setSystemPartition(jdbmPartition(service, "system", ServerDNConstants.SYSTEM_DN,
                    List.of(SchemaConstants.OBJECT_CLASS_AT)));
            // The guard owns the access policy; ApacheDS's ACI subsystem would be a second,
            // divergent policy.
            service.setAccessControlEnabled(false);
            service.setAllowAnonymousAccess(settings.anonymousAccess());

            // Passwords are stored as PBKDF2 hashes (RFC 8018 section 5.2, ApacheDS's {PKCS5S2}):
            // nobody can read one back, and binds still check them.
            insertAfter(service, InterceptorEnum.NORMALIZATION_INTERCEPTOR, new Pkcs5s2PasswordHashingInterceptor());
            // AM27 fails a move under a missing entry with operationsError: answered noSuchObject,
            // after the guard (inserted after it below), so refused clients learn nothing.
            insertAfter(service, InterceptorEnum.SCHEMA_INTERCEPTOR, new NewSuperiorInterceptor());
            KmsInterceptor interceptor = null;
            if (settings.kmsGuard()) {
                step = "insert the KMS interceptor";
                interceptor = new KmsInterceptor(layout, data.audit());
                insertAfter(service, InterceptorEnum.SCHEMA_INTERCEPTOR, interceptor);
                // Authorization before anything compares a write's values with the entry.
                insertAfter(service, InterceptorEnum.AUTHENTICATION_INTERCEPTOR, interceptor.accessCheck());
            }

            step = "start the directory service";
            service.startup();
            CoreSession admin = service.getAdminSession();

            step = "add the KMS schema";
            KmsSchemaInstaller.installMissing(admin, service.getSchemaManager());

            step = "open the partition of " + settings.suffix();
            // Added after startup because its indexes name KMS attributes, which the schema
            // manager knows only once the KMS schema is in.
            service.addPartition(jdbmPartition(service, DataFolder.SUFFIX_PARTITION_ID, settings.suffix(),
                    INDEXED_ATTRIBUTES));

            Path marker = data.bootstrapDone();
            if (interceptor != null) {
                step = "check the audit log against the head anchored in " + layout.auditHead();
                // Before anything is appended: the bootstrap and the agent's password are audited.
                interceptor.openAuditLog(!Files.exists(marker), settings.acceptBrokenAuditLog());
            }

            step = "set the administrator password";
            String adminPassword = ensurePassword(admin, service.getSchemaManager(), new Dn(DirectoryLayout.ADMIN_DN),
                    data.adminPassword(), random);

            if (!Files.exists(marker)) {
                step = "load the bootstrap LDIF";
                BootstrapLdif.load(admin, service.getSchemaManager(), settings.suffix());
                Files.writeString(marker, "bootstrap LDIF loaded; delete to reload missing bootstrap entries\n");
            }
            step = "set the KMS agent password";
            String agentPassword = ensurePassword(admin, service.getSchemaManager(), new Dn(layout.kmsAgentIdentity()),
                    data.kmsAgentPassword(), random);

            if (interceptor != null) {
                step = "anchor the audit head in " + layout.auditHead();
                // Every data folder a server started on has an anchor from then on.
                interceptor.anchorNow();
            }

            step = "obtain the TLS credentials";
            TlsCredentials tls = tlsSource.credentials(data, subjectAltNames(settings.bindAddress()));

            step = "start the LDAP listeners on " + settings.bindAddress();
            ldap = new LdapServer();
            ldap.setServiceName("dirkms");
            ldap.setDirectoryService(service);
            TcpTransport plain = new TcpTransport(settings.bindAddress(), settings.ldapPort(), 3, 50);
            TcpTransport secure = new TcpTransport(settings.bindAddress(), settings.ldapsPort(), 3, 50);
            secure.setEnableSSL(true);
            // TLS 1.3 (RFC 8446) and 1.2 (RFC 5246) only, on LDAPS and StartTLS alike.
            plain.setEnabledProtocols(TLS_PROTOCOLS);
            secure.setEnabledProtocols(TLS_PROTOCOLS);
            ldap.setTransports(plain, secure);
            // ApacheDS caps every non-superuser search at 100 entries by default, which would
            // silently cut the KMS agent's reconciliation of a large tree; the wire guard caps
            // anonymous searches instead (AccessPolicy.ANONYMOUS_SIZE_LIMIT). A test may set a
            // limit to stand for a server that has one.
            ldap.setMaxSizeLimit(settings.searchSizeLimit() == 0 ? LdapServer.NO_SIZE_LIMIT : settings.searchSizeLimit());
            ldap.setKeystoreFile(tls.keyStoreFile().toString());
            ldap.setCertificatePassword(tls.keyStorePassphrase());
            ldap.addExtendedOperationHandler(new StartTlsHandler());
            ldap.addExtendedOperationHandler(new WhoAmIHandler());
            // The syncrepl provider (RFC 4533): the KMS agent follows the directory with it.
            ldap.setReplicationReqHandler(new SyncReplRequestHandler());
            ldap.start();
            if (interceptor != null) {
                WireGuard.install(ldap, interceptor, settings.plainBinds());
            }
            // With or without the guard: AM27 itself fails paged and size-limited "1.1" searches.
            // Installed after the guard, so it sits between the codec and the guard.
            NoAttributesSearchFilter.install(ldap);
            // AM27 fails typesOnly searches over entries the guard stripped; on the write path it
            // sits between the guard and the codec, so it empties what the guard let through.
            TypesOnlySearchFilter.install(ldap);
            // AM27 fails a request whose values it cannot normalize with other (80) and a stack
            // trace; installed last, so it sits right after the codec and answers first.
            StorableValueFilter.install(ldap);
            // AM27 echoes the whole request, Java object names and stack traces in the diagnostics
            // of its own refusals; installed last, so it sees every response last.
            DiagnosticFilter.install(ldap);
            // Searches AM27 answers wrongly or never (deep filters, extensible matches, ...).
            SearchFilterScreen.install(ldap);
            // A rename of a name in no naming context leaves AM27's write lock taken for ever.
            ModifyDnScreen.install(ldap);
            // A request nested too deep to decode ends its connection, not the I/O thread.
            DecoderStackGuard.install(ldap);
            // A request whose elements do not nest (a header cut by its enclosing element's end)
            // ends its connection instead of leaving the decoder waiting for ever.
            BerFramingGuard.install(ldap, MAX_REQUEST_OCTETS);
            int boundLdap = boundPort(plain);
            int boundLdaps = boundPort(secure);
            DirectoryServer server = new DirectoryServer(settings, layout, service, ldap, interceptor, tls, boundLdap,
                    boundLdaps, adminPassword, agentPassword, lock);
            step = "write " + data.endpoint();
            new ServerEndpoint(server.ldapsUrl(), tls.certificatePemFile()).write(data);
            step = "restrict the data folder " + data.root() + " to its owner";
            // Now that ApacheDS has made its partition and syncrepl journal files (umask modes).
            DataFolderPermissions.restrictTree(data.root());
            LOG.info("dirkms directory {} serving {} and {} in {} ms", settings.suffix(), server.ldapUrl(),
                    server.ldapsUrl(), (System.nanoTime() - started) / 1_000_000);
            return server;
        } catch (Exception e) {
            stopQuietly(ldap, service, e);
            if (lock != null) {
                lock.release(e);
            }
            // A broken audit chain is not a failed step: its message says what is wrong and what to do.
            throw new ServerStartException(e instanceof AuditChainException || e instanceof PortInUseException
                    ? e.getMessage()
                    : "cannot " + step + ": " + safeMessage(e), e);
        }
    }

    /**
     * Binds {@code port} on {@code address} and lets it go again: proof that the listener can
     * bind it a moment later (port 0, any free port, always can).
     *
     * @throws PortInUseException if another program listens there
     */
    static void checkPortFree(String listener, String address, int port) throws IOException {
        if (port == 0) {
            return;
        }
        try (java.net.ServerSocket probe = new java.net.ServerSocket()) {
            // As MINA binds its acceptor (SO_REUSEADDR): a port only in TIME_WAIT is free.
            probe.setReuseAddress(true);
            probe.bind(new java.net.InetSocketAddress(java.net.InetAddress.getByName(address), port));
        } catch (java.net.BindException e) {
            throw new PortInUseException(listener, address, port, e);
        }
    }

    /**
     * A directory service over the data folder {@code data} with its schema loaded (extracted at
     * the first start), not started, without partitions but the schema's.
     */
    static DefaultDirectoryService newDirectoryService(DataFolder data) throws Exception {
        DefaultDirectoryService service = new DefaultDirectoryService();
        service.setInstanceLayout(new InstanceLayout(data.root().toFile()));
        service.setShutdownHookEnabled(false);
        service.setExitVmOnShutdown(false);
        service.setInstanceId("dirkms");
        service.setMaxPDUSize(MAX_REQUEST_OCTETS);
        initSchema(service);
        return service;
    }

    /**
     * A data folder serves the suffix it was made for: its partition and bootstrap tree are
     * below it. Starting it with another suffix would serve an empty tree without the agent.
     */
    private static void checkSuffix(Path file, String suffix, SchemaManager schemaManager)
            throws IOException, LdapException {
        if (!Files.exists(file)) {
            Files.writeString(file, suffix + "\n", StandardCharsets.UTF_8);
            return;
        }
        String stored = Files.readString(file, StandardCharsets.UTF_8).strip();
        if (!new Dn(schemaManager, stored).equals(new Dn(schemaManager, suffix))) {
            throw new IOException("the data folder " + file.getParent() + " serves the suffix '" + stored
                    + "', not '" + suffix + "': start it with that suffix, or use another data folder");
        }
    }

    private static void initSchema(DefaultDirectoryService service) throws Exception {
        File partitions = service.getInstanceLayout().getPartitionsDirectory();
        File schemaFolder = new File(partitions, "schema");
        ApacheDsSchemaFiles.extractOnce(partitions.toPath());
        KmsSchemaInstaller.dropNarrowerObjectClasses(schemaFolder.toPath());
        KmsSchemaInstaller.widenAttributeTypes(schemaFolder.toPath());
        SchemaManager schemaManager = new DefaultSchemaManager(new LdifSchemaLoader(schemaFolder));
        schemaManager.loadAllEnabled();
        if (!schemaManager.getErrors().isEmpty()) {
            throw new IOException("the schema in " + schemaFolder + " does not load: "
                    + Exceptions.printErrors(schemaManager.getErrors()));
        }
        // As ApacheDS's own factory does: comparators normalize on the server side.
        for (LdapComparator<?> comparator : schemaManager.getComparatorRegistry()) {
            if (comparator instanceof NormalizingComparator normalizing) {
                normalizing.setOnServer();
            }
        }
        service.setSchemaManager(schemaManager);
        LdifPartition ldifPartition = new LdifPartition(schemaManager, service.getDnFactory());
        ldifPartition.setPartitionPath(schemaFolder.toURI());
        SchemaPartition schemaPartition = new SchemaPartition(schemaManager);
        schemaPartition.setWrappedPartition(ldifPartition);
        service.setSchemaPartition(schemaPartition);
    }

    static JdbmPartition jdbmPartition(DirectoryService service, String id, String suffix,
            List<String> indexed) throws LdapException {
        JdbmPartition partition = new JdbmPartition(service.getSchemaManager(), service.getDnFactory());
        partition.setId(id);
        partition.setSuffixDn(new Dn(service.getSchemaManager(), suffix));
        partition.setPartitionPath(new File(service.getInstanceLayout().getPartitionsDirectory(), id).toURI());
        partition.setCacheSize(1000);
        // Every write reaches the partition files before the client sees success: the
        // directory is the system of record, and a killed process must lose nothing. Measured
        // here (2 busy cores, one client): about 60 adds/s with this, 150 without it (ApacheDS
        // then flushes every 15 s and a kill loses the writes of the last 15 s).
        partition.setSyncOnWrite(true);
        Set<Index<?, String>> indexes = new HashSet<>();
        for (String attribute : indexed) {
            indexes.add(new JdbmIndex<>(attribute, false));
        }
        partition.setIndexedAttributes(indexes);
        return partition;
    }

    /**
     * Inserts {@code interceptor} right after ApacheDS's interceptor {@code predecessor}: the
     * KMS interceptor after the schema interceptor (it sees normalized, schema-checked
     * requests), its access check after the authentication interceptor (before anything
     * compares values), the password hashing right after normalization.
     */
    private static void insertAfter(DirectoryService service, InterceptorEnum predecessor, Interceptor interceptor) {
        List<Interceptor> chain = new ArrayList<>(service.getInterceptors());
        int found = -1;
        for (int i = 0; i < chain.size(); i++) {
            if (predecessor.getName().equals(chain.get(i).getName())) {
                found = i;
            }
        }
        if (found < 0) {
            throw new IllegalStateException("ApacheDS has no " + predecessor.getName() + " to insert "
                    + interceptor.getName() + " after");
        }
        chain.add(found + 1, interceptor);
        service.setInterceptors(chain);
    }

    /**
     * Makes sure {@code dn} has the password kept in {@code file}: generates one into the file
     * if missing, and stores a salted SHA-256 of it on the entry when the entry's differs (the
     * file is written before the entry, so a crash between the two is repaired next start).
     */
    private static String ensurePassword(CoreSession admin, SchemaManager schemaManager, Dn dn, Path file,
            SecureRandom random) throws IOException, LdapException {
        String password;
        if (Files.exists(file)) {
            password = PasswordFile.readString(file);
        } else {
            password = SecretFiles.newPassword(random);
            SecretFiles.writeText(file, password);
        }
        Entry entry = admin.lookup(dn, SchemaConstants.USER_PASSWORD_AT);
        if (entry == null) {
            throw new LdapNoSuchObjectException("entry " + dn + " is missing: it must exist to receive its password");
        }
        byte[] candidate = password.getBytes(StandardCharsets.UTF_8);
        Attribute stored = entry.get(SchemaConstants.USER_PASSWORD_AT);
        if (stored != null) {
            for (Value value : stored) {
                if (PasswordUtil.compareCredentials(candidate, value.getBytes())) {
                    return password;
                }
            }
        }
        byte[] hashed = PasswordUtil.createStoragePassword(candidate, LdapSecurityConstants.HASH_METHOD_SSHA256);
        admin.modify(dn, new DefaultModification(ModificationOperation.REPLACE_ATTRIBUTE,
                schemaManager.getAttributeType(SchemaConstants.USER_PASSWORD_AT), hashed));
        LOG.info("Set the password of {} from {}", dn, file);
        return password;
    }

    private static Set<String> subjectAltNames(String bindAddress) {
        Set<String> names = new LinkedHashSet<>(List.of("localhost", "127.0.0.1", "::1"));
        if (!isWildcard(bindAddress)) {
            names.add(bindAddress);
        }
        return names;
    }

    private static boolean isWildcard(String address) {
        return "0.0.0.0".equals(address) || "::".equals(address) || "0:0:0:0:0:0:0:0".equals(address);
    }

    private static int boundPort(TcpTransport transport) {
        return transport.getAcceptor().getLocalAddress().getPort();
    }

    private static void stopQuietly(LdapServer ldap, DirectoryService service, Exception cause) {
        if (ldap != null) {
            // Also when start() failed half-way: the listener bound before the failure must close.
            try {
                ldap.stop();
            } catch (RuntimeException e) {
                cause.addSuppressed(e);
            }
        }
        if (service != null && service.isStarted()) {
            try {
                service.shutdown();
            } catch (LdapException | RuntimeException e) {
                cause.addSuppressed(e);
            }
        }
    }

    /** ApacheDS messages may echo request data; only the exception type and first line go out. */
    static String safeMessage(Throwable e) {
        String message = e.getMessage();
        if (message == null) {
            return e.getClass().getSimpleName();
        }
        int newline = message.indexOf('\n');
        return newline < 0 ? message : message.substring(0, newline);
    }

    /** The settings this server was started with (ports as asked, possibly 0). */
    public ServerSettings settings() {
        return settings;
    }

    /** The port the LDAP (StartTLS-capable) listener is bound to. */
    public int ldapPort() {
        return ldapPort;
    }

    /** The port the LDAPS listener is bound to. */
    public int ldapsPort() {
        return ldapsPort;
    }

    /** {@code ldap://host:port} a client on this machine connects to. */
    public String ldapUrl() {
        return "ldap://" + urlHost() + ":" + ldapPort;
    }

    /** {@code ldaps://host:port} a client on this machine connects to. */
    public String ldapsUrl() {
        return "ldaps://" + urlHost() + ":" + ldapsPort;
    }

    private String urlHost() {
        String address = isWildcard(settings.bindAddress()) ? "127.0.0.1" : settings.bindAddress();
        return address.indexOf(':') >= 0 ? "[" + address + "]" : address;
    }

    /** The directory tree below the served suffix. */
    public DirectoryLayout layout() {
        return layout;
    }

    /** The DN of the directory administrator ({@code uid=admin,ou=system}). */
    public String adminDn() {
        return DirectoryLayout.ADMIN_DN;
    }

    /** The file (mode 0600) holding the administrator password, for {@code ldapsearch -y}. */
    public Path adminPasswordFile() {
        return dataFolder().adminPassword();
    }

    /** The data folder the server runs on. */
    public DataFolder dataFolder() {
        return settings.dataFolder();
    }

    /** The administrator password, as generated at first start. */
    public String adminPassword() {
        return adminPassword;
    }

    /** The DN the KMS agent binds as. */
    public String kmsAgentDn() {
        return layout.kmsAgentIdentity();
    }

    /** The KMS agent's password, as generated at first start: for the agent running in this JVM. */
    public String kmsAgentPassword() {
        return agentPassword;
    }

    /** The file (mode 0600) holding the KMS agent's password. */
    public Path kmsAgentPasswordFile() {
        return dataFolder().kmsAgentPassword();
    }

    /** The server certificate as PEM: what clients trust ({@code LDAPTLS_CACERT}). */
    public Path tlsCertificateFile() {
        return tls.certificatePemFile();
    }

    /** The running ApacheDS directory service. */
    public DirectoryService directoryService() {
        return directoryService;
    }

    /** The running ApacheDS LDAP server. */
    public LdapServer ldapServer() {
        return ldapServer;
    }

    /** The KMS interceptor in the chain, or {@code null} when started without the guard. */
    public KmsInterceptor kmsInterceptor() {
        return kmsInterceptor;
    }

    /**
     * Stops the listeners, then the directory service (flushing the partitions). Safe to call
     * more than once.
     */
    @Override
    public void close() {
        try {
            if (ldapServer.isStarted()) {
                ldapServer.stop();
            }
            if (directoryService.isStarted()) {
                try {
                    directoryService.shutdown();
                } catch (LdapException e) {
                    throw new IllegalStateException("the directory service did not shut down cleanly: "
                            + safeMessage(e), e);
                }
            }
        } finally {
            try {
                ServerEndpoint.remove(dataFolder());
            } catch (IOException e) {
                // Harmless when left: the lock, not this file, tells whether a server runs.
                LOG.warn("could not remove {}: {}", dataFolder().endpoint(),
                        e.getMessage());
            }
            lock.release(null);
        }
        LOG.info("dirkms directory {} stopped", settings.suffix());
    }
}
