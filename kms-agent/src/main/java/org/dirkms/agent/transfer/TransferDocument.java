package org.dirkms.agent.transfer;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * What a transfer file carries from one KMS server to another (docs/transfer.md): a manifest and
 * the users, each with the KMS state of its entry, every certificate it has had, and every
 * archived encryption key (its certificate and the PKCS#8 private key; never a signing key).
 * Encoded as UTF-8 JSON, so that an auditor who opened the envelope and checked the signature
 * with {@code openssl cms} reads it; {@link TransferEnvelope} signs and seals it.
 *
 * <p>The manifest lists a SHA-256 digest of every item — each user's attributes, each
 * certificate, each key — by the item's identifier ({@code user-3}, {@code user-3/certificate-1},
 * {@code user-3/key-1}); {@link #check} recomputes them, so that an item added, removed or changed
 * after the manifest was written is found even before the signature is looked at.
 *
 * <p>The private keys are in the byte arrays the records hold: a caller clears them
 * ({@link #clearKeys}) as soon as it has used them.
 */
public record TransferDocument(Manifest manifest, List<User> users) {

    /** The value of {@link Manifest#format} this class reads and writes. */
    public static final String FORMAT = "dirkms-transfer/1";

    private static final ObjectMapper JSON = new ObjectMapper();

    /** Copies the list. */
    public TransferDocument {
        Objects.requireNonNull(manifest, "manifest");
        users = List.copyOf(users);
    }

    /**
     * Where the file comes from, whom it is for, until when it may be imported, and what it holds.
     *
     * @param format {@link #FORMAT}
     * @param sourceServer the DN of the source KMS server entry
     * @param sourceSuffix the source directory's suffix
     * @param sourceCa the subject DN (RFC 4514) of the source CA that issued the users' certificates
     * @param destinationThumbprint the lower-case hex SHA-256 of the DER of the destination's
     *        transport certificate: the one server that may import the file
     * @param created when the file was written
     * @param notAfter after when the destination refuses it
     * @param userCount how many users it holds
     * @param certificateCount how many certificates, all users together
     * @param keyCount how many archived keys, all users together
     * @param digests every item's identifier and the lower-case hex SHA-256 of its content
     */
    public record Manifest(String format, String sourceServer, String sourceSuffix, String sourceCa,
            String destinationThumbprint, Instant created, Instant notAfter, int userCount, int certificateCount,
            int keyCount, Map<String, String> digests) {
        /** Copies the map, keeping its order. */
        public Manifest {
            digests = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(digests));
        }
    }

    /**
     * One user as the source KMS holds it.
     *
     * @param id the user's identifier in the file ({@code user-<n>})
     * @param sourceDn the user's DN at the source
     * @param mail the user's {@code mail} values: what the destination maps the user by
     * @param commonName {@code cn}, to create a missing entry at the destination
     * @param surname {@code sn}, likewise
     * @param enrollmentState {@code kmsEnrollmentState} at the source
     * @param group the {@code cn} of the user's administrative group at the source
     * @param certificates every certificate the user has had (DER): published, superseded, revoked;
     *        the ones the source entry publishes first, in the order it publishes them (the
     *        encryption certificate, then the signing one)
     * @param keys every archived encryption key of the user
     * @param published how many of {@code certificates}, from the first, the source entry publishes now
     */
    public record User(String id, String sourceDn, List<String> mail, String commonName, String surname,
            String enrollmentState, String group, List<byte[]> certificates, List<Key> keys, int published) {
        /** Copies the lists and checks the count of published certificates. */
        public User {
            mail = List.copyOf(mail);
            certificates = List.copyOf(certificates);
            keys = List.copyOf(keys);
            if (published < 0 || published > certificates.size()) {
                throw new TransferRefusedException(id + " names " + published + " published certificates of "
                        + certificates.size());
            }
        }

        /** A user whose source entry publishes none of its certificates. */
        public User(String id, String sourceDn, List<String> mail, String commonName, String surname,
                String enrollmentState, String group, List<byte[]> certificates, List<Key> keys) {
            this(id, sourceDn, mail, commonName, surname, enrollmentState, group, certificates, keys, 0);
        }

        /** The certificates the source entry publishes now, in its order. */
        public List<byte[]> publishedCertificates() {
            return certificates.subList(0, published);
        }

        /** The content the manifest's digest of this user covers: its attributes, one per line. */
        byte[] attributesForDigest() {
            return String.join("\n", sourceDn, String.join(",", mail), Objects.toString(commonName, ""),
                    Objects.toString(surname, ""), Objects.toString(enrollmentState, ""), Objects.toString(group, ""),
                    Integer.toString(published))
                    .getBytes(StandardCharsets.UTF_8);
        }
    }

    /**
     * One archived encryption key.
     *
     * @param certificate the DER of the key's certificate
     * @param pkcs8 the DER PKCS#8 PrivateKeyInfo (RFC 5958) of the key: secret
     */
    public record Key(byte[] certificate, byte[] pkcs8) {
        /** What the manifest's digest of this key covers: the certificate, then the key. */
        byte[] contentForDigest() {
            byte[] both = Arrays.copyOf(certificate, certificate.length + pkcs8.length);
            System.arraycopy(pkcs8, 0, both, certificate.length, pkcs8.length);
            return both;
        }

        /** Never shows the key. */
        @Override
        public String toString() {
            return "Key[certificate of " + certificate.length + " bytes, private key withheld]";
        }
    }

    /** Never shows a key. */
    @Override
    public String toString() {
        return "TransferDocument[" + manifest.userCount() + " users from " + manifest.sourceServer() + "]";
    }

    /**
     * The digests of every item of {@code users}, by identifier, in the order of the file: what
     * a {@link Manifest} lists.
     */
    public static Map<String, String> digests(List<User> users) {
        Map<String, String> digests = new LinkedHashMap<>();
        for (User user : users) {
            digests.put(user.id(), sha256(user.attributesForDigest()));
            for (int i = 0; i < user.certificates().size(); i++) {
                digests.put(user.id() + "/certificate-" + (i + 1), sha256(user.certificates().get(i)));
            }
            for (int i = 0; i < user.keys().size(); i++) {
                byte[] content = user.keys().get(i).contentForDigest();
                digests.put(user.id() + "/key-" + (i + 1), sha256(content));
                Arrays.fill(content, (byte) 0);
            }
        }
        return digests;
    }

    /**
     * Checks the document against its manifest: the format, the counts, and every item's digest,
     * with nothing missing and nothing extra.
     *
     * @throws TransferRefusedException naming the first item that does not match
     */
    public void check() {
        if (!FORMAT.equals(manifest.format())) {
            throw new TransferRefusedException("the file is in the format '" + manifest.format() + "', not "
                    + FORMAT + ": it was not written by this version of dirkms export");
        }
        int certificates = users.stream().mapToInt(u -> u.certificates().size()).sum();
        int keys = users.stream().mapToInt(u -> u.keys().size()).sum();
        if (users.size() != manifest.userCount() || certificates != manifest.certificateCount()
                || keys != manifest.keyCount()) {
            throw new TransferRefusedException("the manifest counts " + manifest.userCount() + " users, "
                    + manifest.certificateCount() + " certificates and " + manifest.keyCount() + " keys, the file"
                    + " holds " + users.size() + ", " + certificates + " and " + keys);
        }
        Map<String, String> actual = digests(users);
        for (Map.Entry<String, String> listed : manifest.digests().entrySet()) {
            String found = actual.get(listed.getKey());
            if (found == null) {
                throw new TransferRefusedException("the manifest lists " + listed.getKey() + ", which the file lacks");
            }
            if (!found.equals(listed.getValue())) {
                throw new TransferRefusedException("the digest of " + listed.getKey() + " does not match the"
                        + " manifest: the item was changed after the manifest was written");
            }
        }
        for (String item : actual.keySet()) {
            if (!manifest.digests().containsKey(item)) {
                throw new TransferRefusedException("the file holds " + item + ", which the manifest does not list");
            }
        }
    }

    /** Overwrites every private key this document holds with zeros. */
    public void clearKeys() {
        for (User user : users) {
            for (Key key : user.keys()) {
                Arrays.fill(key.pkcs8(), (byte) 0);
            }
        }
    }

    /** The UTF-8 JSON of this document. The caller clears the result: it holds the private keys. */
    public byte[] toJson() {
        ObjectNode root = JSON.createObjectNode();
        ObjectNode m = root.putObject("manifest");
        m.put("format", manifest.format());
        m.put("sourceServer", manifest.sourceServer());
        m.put("sourceSuffix", manifest.sourceSuffix());
        m.put("sourceCa", manifest.sourceCa());
        m.put("destinationThumbprint", manifest.destinationThumbprint());
        m.put("created", manifest.created().toString());
        m.put("notAfter", manifest.notAfter().toString());
        m.put("users", manifest.userCount());
        m.put("certificates", manifest.certificateCount());
        m.put("keys", manifest.keyCount());
        ObjectNode digests = m.putObject("digests");
        manifest.digests().forEach(digests::put);
        ArrayNode list = root.putArray("users");
        Base64.Encoder base64 = Base64.getEncoder();
        for (User user : users) {
            ObjectNode u = list.addObject();
            u.put("id", user.id());
            u.put("sourceDn", user.sourceDn());
            ArrayNode mail = u.putArray("mail");
            user.mail().forEach(mail::add);
            u.put("cn", user.commonName());
            u.put("sn", user.surname());
            u.put("enrollmentState", user.enrollmentState());
            u.put("group", user.group());
            u.put("published", user.published());
            ArrayNode certificates = u.putArray("certificates");
            user.certificates().forEach(der -> certificates.add(base64.encodeToString(der)));
            ArrayNode keys = u.putArray("keys");
            for (Key key : user.keys()) {
                ObjectNode k = keys.addObject();
                k.put("certificate", base64.encodeToString(key.certificate()));
                k.put("pkcs8", base64.encodeToString(key.pkcs8()));
            }
        }
        try {
            return JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(root);
        } catch (IOException e) {
            throw new IllegalStateException("cannot write the transfer document", e);
        }
    }

    /**
     * Reads a document written by {@link #toJson}.
     *
     * @throws TransferRefusedException if it is not such a document (the message names no content)
     */
    public static TransferDocument fromJson(byte[] json) {
        try {
            JsonNode root = JSON.readTree(json);
            JsonNode m = required(root, "manifest");
            Map<String, String> digests = new LinkedHashMap<>();
            required(m, "digests").fields().forEachRemaining(e -> digests.put(e.getKey(), e.getValue().asText()));
            Manifest manifest = new Manifest(text(m, "format"), text(m, "sourceServer"), text(m, "sourceSuffix"),
                    text(m, "sourceCa"), text(m, "destinationThumbprint"), Instant.parse(text(m, "created")),
                    Instant.parse(text(m, "notAfter")), required(m, "users").asInt(), required(m, "certificates").asInt(),
                    required(m, "keys").asInt(), digests);
            List<User> users = new ArrayList<>();
            Base64.Decoder base64 = Base64.getDecoder();
            for (JsonNode u : required(root, "users")) {
                List<String> mail = new ArrayList<>();
                required(u, "mail").forEach(value -> mail.add(value.asText()));
                List<byte[]> certificates = new ArrayList<>();
                required(u, "certificates").forEach(value -> certificates.add(base64.decode(value.asText())));
                List<Key> keys = new ArrayList<>();
                for (JsonNode k : required(u, "keys")) {
                    keys.add(new Key(base64.decode(text(k, "certificate")), base64.decode(text(k, "pkcs8"))));
                }
                users.add(new User(text(u, "id"), text(u, "sourceDn"), mail, optional(u, "cn"), optional(u, "sn"),
                        optional(u, "enrollmentState"), optional(u, "group"), certificates, keys,
                        u.has("published") ? u.get("published").asInt() : 0));
            }
            return new TransferDocument(manifest, users);
        } catch (IOException | RuntimeException e) {
            if (e instanceof TransferRefusedException refused) {
                throw refused;
            }
            throw new TransferRefusedException("the signed content is not a dirkms transfer document ("
                    + e.getClass().getSimpleName() + ")");
        }
    }

    /** The lower-case hex SHA-256 of {@code content}. */
    public static String sha256(byte[] content) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from the JDK", e);
        }
    }

    private static JsonNode required(JsonNode node, String field) {
        JsonNode value = node.get(field);
        if (value == null || value.isNull()) {
            throw new TransferRefusedException("the transfer document lacks '" + field + "'");
        }
        return value;
    }

    private static String text(JsonNode node, String field) {
        return required(node, field).asText();
    }

    private static String optional(JsonNode node, String field) {
        JsonNode value = node.get(field);
        return value == null || value.isNull() ? null : value.asText();
    }
}
