package org.dirkms.agent.smime;

import jakarta.mail.MessagingException;
import jakarta.mail.internet.MimeBodyPart;
import jakarta.mail.internet.MimeMultipart;
import jakarta.mail.util.ByteArrayDataSource;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.CertificateEncodingException;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPublicKey;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Date;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1EncodableVector;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.DERSet;
import org.bouncycastle.asn1.cms.Attribute;
import org.bouncycastle.asn1.cms.AttributeTable;
import org.bouncycastle.asn1.cms.CMSAttributes;
import org.bouncycastle.asn1.cms.CMSObjectIdentifiers;
import org.bouncycastle.asn1.cms.ContentInfo;
import org.bouncycastle.asn1.cms.IssuerAndSerialNumber;
import org.bouncycastle.asn1.cms.Time;
import org.bouncycastle.asn1.nist.NISTObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.smime.SMIMECapabilitiesAttribute;
import org.bouncycastle.asn1.smime.SMIMECapabilityVector;
import org.bouncycastle.asn1.smime.SMIMEEncryptionKeyPreferenceAttribute;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaCertStore;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cms.CMSAlgorithm;
import org.bouncycastle.cms.CMSAuthEnvelopedData;
import org.bouncycastle.cms.CMSEnvelopedData;
import org.bouncycastle.cms.CMSException;
import org.bouncycastle.cms.CMSSignedData;
import org.bouncycastle.cms.CMSVerifierCertificateNotValidException;
import org.bouncycastle.cms.Recipient;
import org.bouncycastle.cms.RecipientId;
import org.bouncycastle.cms.RecipientInformation;
import org.bouncycastle.cms.RecipientInformationStore;
import org.bouncycastle.cms.SignerInformation;
import org.bouncycastle.cms.jcajce.JcaSimpleSignerInfoGeneratorBuilder;
import org.bouncycastle.cms.jcajce.JcaSimpleSignerInfoVerifierBuilder;
import org.bouncycastle.cms.jcajce.JceCMSContentEncryptorBuilder;
import org.bouncycastle.cms.jcajce.JceKeyAgreeEnvelopedRecipient;
import org.bouncycastle.cms.jcajce.JceKeyAgreeRecipientId;
import org.bouncycastle.cms.jcajce.JceKeyAgreeRecipientInfoGenerator;
import org.bouncycastle.cms.jcajce.JceKeyTransEnvelopedRecipient;
import org.bouncycastle.cms.jcajce.JceKeyTransRecipientId;
import org.bouncycastle.cms.jcajce.JceKeyTransRecipientInfoGenerator;
import org.bouncycastle.mail.smime.SMIMEAuthEnvelopedGenerator;
import org.bouncycastle.mail.smime.SMIMEEnvelopedGenerator;
import org.bouncycastle.mail.smime.SMIMEException;
import org.bouncycastle.mail.smime.SMIMESigned;
import org.bouncycastle.mail.smime.SMIMESignedGenerator;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.OutputEncryptor;
import org.bouncycastle.util.Store;
import org.dirkms.agent.keys.JcaProviders;
import org.dirkms.agent.keys.KeyPairFactory;
import org.dirkms.schema.ContentEncryptionAlgorithm;

/**
 * Signs, encrypts, decrypts and verifies whole mail messages (RFC 5322 in, RFC 5322 out) as
 * S/MIME 4.0 describes (RFC 8551), with CMS (RFC 5652) underneath:
 * <ul>
 * <li>sign: multipart/signed, detached, application/pkcs7-signature, micalg sha-256 (RFC 8551
 * section 3.5.3), with the signed attributes signingTime, SMIMECapabilities and
 * SMIMEEncryptionKeyPreference (sections 2.5.1 to 2.5.3);</li>
 * <li>encrypt: application/pkcs7-mime, smime-type enveloped-data (AES-CBC, RFC 3565; Triple DES)
 * or authEnveloped-data (AES-GCM in AuthEnvelopedData, RFC 5083 and RFC 5084); RSA recipients by
 * key transport with RSAES-PKCS1-v1_5 (RFC 8551 section 2.3: what every client, gpgsm 2.2 and
 * Outlook included, reads), EC recipients by ephemeral-static ECDH, dhSinglePass-stdDH-sha256kdf
 * with AES-256 key wrap (RFC 5753 section 3.1; RFC 8551 section 2.3);</li>
 * <li>decrypt and verify: the inverse, for messages any S/MIME client writes (multipart/signed or
 * signed-data, enveloped-data or authEnveloped-data).</li>
 * </ul>
 * The outer headers (From, To, Cc, Subject, Date, Message-ID, …) stay outside and unprotected
 * (RFC 8551 section 3.1). The clock dates signatures; the random source makes content keys,
 * IVs and ephemeral keys.
 */
public final class SecureMail {
    /** What the signer can decrypt, strongest first (RFC 8551 section 2.7). */
    private static final List<ContentEncryptionAlgorithm> CAPABILITIES = List.of(ContentEncryptionAlgorithm.AES_256_GCM,
            ContentEncryptionAlgorithm.AES_128_GCM, ContentEncryptionAlgorithm.AES_256_CBC,
            ContentEncryptionAlgorithm.AES_128_CBC);
    private static final Map<ContentEncryptionAlgorithm, ASN1ObjectIdentifier> CONTENT_ENCRYPTION = Map.of(
            ContentEncryptionAlgorithm.AES_256_CBC, CMSAlgorithm.AES256_CBC,
            ContentEncryptionAlgorithm.AES_128_CBC, CMSAlgorithm.AES128_CBC,
            ContentEncryptionAlgorithm.AES_256_GCM, CMSAlgorithm.AES256_GCM,
            ContentEncryptionAlgorithm.AES_128_GCM, CMSAlgorithm.AES128_GCM,
            ContentEncryptionAlgorithm.DES_EDE3_CBC, CMSAlgorithm.DES_EDE3_CBC);

    private final Clock clock;
    private final java.security.SecureRandom random;

    /**
     * @param clock the time of signatures (signingTime)
     * @param random the source of content-encryption keys, IVs and ephemeral ECDH keys
     */
    public SecureMail(Clock clock, java.security.SecureRandom random) {
        this.clock = clock;
        this.random = random;
    }

    /**
     * One signature of a message and what it says.
     *
     * @param certificate the signer's certificate, from the certificates the message carries
     * @param signatureValid whether the signature matches the content and the certificate was
     *        valid at the signing time
     * @param signingTime the signingTime attribute, or null when absent
     * @param addressMatches whether the From (or Sender) address is one of the certificate's
     *        addresses, or the certificate names none (RFC 8550 section 3)
     * @param failure why the signature is not valid, in words; null when it is
     */
    public record Signer(X509Certificate certificate, boolean signatureValid, Instant signingTime,
            boolean addressMatches, String failure) {
    }

    /**
     * A verified message.
     *
     * @param message the outer headers around the content that was signed
     * @param signers each signature (a message without a signer is refused)
     * @param certificates every certificate the message carries, for path building
     */
    public record Verified(byte[] message, List<Signer> signers, List<X509Certificate> certificates) {
        /** Copies the lists. */
        public Verified {
            signers = List.copyOf(signers);
            certificates = List.copyOf(certificates);
        }
    }

    /**
     * The recipients a message names: the addresses of its To, Cc and Bcc headers (RFC 5322
     * section 3.6.3), lower case, each once.
     *
     * @throws SecureMailException when the input is not a message or a header is not a list of addresses
     */
    public static List<String> recipientsOf(byte[] message) throws SecureMailException {
        return MailMessage.parse(message).recipients();
    }

    /**
     * Signs {@code message} with {@code keys}' signing key: multipart/signed around its entity.
     *
     * @throws SecureMailException when the input is not a message or the keys cannot sign
     */
    public byte[] sign(byte[] message, MailKeys keys) throws SecureMailException {
        MailMessage parsed = MailMessage.parse(message);
        return parsed.around(signedEntity(parsed.innerEntity(), keys));
    }

    /**
     * Encrypts {@code message} to each of {@code recipients} with {@code algorithm}; signs it first
     * with {@code signer}'s signing key when {@code signer} is not null (RFC 8551 section 3.7: the
     * signature inside, so that it stays hidden).
     *
     * @throws SecureMailException when the input is not a message or a certificate cannot be used
     */
    public byte[] encrypt(byte[] message, Collection<X509Certificate> recipients, ContentEncryptionAlgorithm algorithm,
            MailKeys signer) throws SecureMailException {
        if (recipients.isEmpty()) {
            throw new SecureMailException("there is no recipient to encrypt to");
        }
        MailMessage parsed = MailMessage.parse(message);
        MimeBodyPart entity = parsed.innerEntity();
        if (signer != null) {
            entity = MailMessage.entity(signedEntity(entity, signer));
        }
        try {
            OutputEncryptor encryptor = new JceCMSContentEncryptorBuilder(CONTENT_ENCRYPTION.get(algorithm))
                    .setProvider(JcaProviders.bouncyCastle()).setSecureRandom(random).build();
            // AES-GCM goes in AuthEnvelopedData (RFC 5083; RFC 8551 section 3.4: smime-type
            // authEnveloped-data), every CBC cipher in EnvelopedData (RFC 5652 section 6).
            SMIMEEnvelopedGenerator generator = isAuthenticated(algorithm) ? new SMIMEAuthEnvelopedGenerator()
                    : new SMIMEEnvelopedGenerator();
            for (X509Certificate recipient : distinct(recipients)) {
                addRecipient(generator, recipient);
            }
            return parsed.around(MailMessage.bytes(generator.generate(entity, encryptor)));
        } catch (CMSException | SMIMEException | GeneralSecurityException e) {
            throw new SecureMailException("cannot encrypt: " + e.getMessage(), e);
        }
    }

    /** True for the AES-GCM algorithms, which CMS carries in AuthEnvelopedData (RFC 5084). */
    public static boolean isAuthenticated(ContentEncryptionAlgorithm algorithm) {
        return algorithm == ContentEncryptionAlgorithm.AES_256_GCM || algorithm == ContentEncryptionAlgorithm.AES_128_GCM;
    }

    private static Set<X509Certificate> distinct(Collection<X509Certificate> recipients) {
        return new LinkedHashSet<>(recipients);
    }

    /** A key transport recipient for RSA, a key agreement recipient with its own ephemeral key for EC. */
    private void addRecipient(SMIMEEnvelopedGenerator generator, X509Certificate recipient)
            throws CertificateEncodingException, GeneralSecurityException, SecureMailException {
        switch (recipient.getPublicKey().getAlgorithm()) {
            case "RSA" -> generator.addRecipientInfoGenerator(
                    new JceKeyTransRecipientInfoGenerator(recipient).setProvider(JcaProviders.bouncyCastle()));
            case "EC" -> generator.addRecipientInfoGenerator(keyAgreement(recipient));
            default -> throw unsupported(recipient);
        }
    }

    private static SecureMailException unsupported(X509Certificate recipient) {
        return new SecureMailException("cannot encrypt to " + recipient.getSubjectX500Principal().getName() + ": its "
                + recipient.getPublicKey().getAlgorithm() + " key is neither RSA nor EC");
    }

    /**
     * RFC 5753 section 3.1.1: a fresh ephemeral key on the recipient's curve, ECDH with the
     * X9.63 KDF over SHA-256, the content key wrapped with AES-256 key wrap (RFC 3394).
     */
    private JceKeyAgreeRecipientInfoGenerator keyAgreement(X509Certificate recipient)
            throws GeneralSecurityException {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC", JcaProviders.bouncyCastle());
        generator.initialize(((ECPublicKey) recipient.getPublicKey()).getParams(), random);
        KeyPair ephemeral = generator.generateKeyPair();
        JceKeyAgreeRecipientInfoGenerator info = new JceKeyAgreeRecipientInfoGenerator(CMSAlgorithm.ECDH_SHA256KDF,
                ephemeral.getPrivate(), ephemeral.getPublic(), CMSAlgorithm.AES256_WRAP);
        info.addRecipient(recipient);
        info.setProvider(JcaProviders.bouncyCastle());
        info.setSecureRandom(random);
        return info;
    }

    /**
     * Decrypts {@code message} with whichever of {@code keys} it is encrypted to: the outer
     * headers around the inner entity (which may itself be signed: verify it then).
     *
     * @throws SecureMailException when the message is not encrypted S/MIME, is for none of the
     *         keys, or does not decrypt (changed on the way, or GCM's tag does not match)
     */
    public byte[] decrypt(byte[] message, MailKeys keys) throws SecureMailException {
        MailMessage parsed = MailMessage.parse(message);
        String type = parsed.contentType().toLowerCase(Locale.ROOT);
        if (!type.startsWith("application/pkcs7-mime") && !type.startsWith("application/x-pkcs7-mime")) {
            throw new SecureMailException("the message is not encrypted S/MIME (Content-Type " + baseType(type)
                    + ", not application/pkcs7-mime)");
        }
        byte[] der = parsed.decodedBody();
        ASN1ObjectIdentifier contentType = contentTypeOf(der);
        RecipientInformationStore recipients;
        try {
            if (CMSObjectIdentifiers.envelopedData.equals(contentType)) {
                recipients = new CMSEnvelopedData(der).getRecipientInfos();
            } else if (CMSObjectIdentifiers.authEnvelopedData.equals(contentType)) {
                recipients = new CMSAuthEnvelopedData(der).getRecipientInfos();
            } else if (CMSObjectIdentifiers.signedData.equals(contentType)) {
                throw new SecureMailException("the message is signed, not encrypted: run 'dirkms smime verify'");
            } else {
                throw new SecureMailException("the message is not encrypted S/MIME (CMS content type " + contentType + ")");
            }
        } catch (CMSException e) {
            throw new SecureMailException("the message's CMS structure is damaged: " + e.getMessage(), e);
        }
        for (MailKeys.Key key : keys.keys()) {
            X509Certificate certificate = key.certificate();
            RecipientId id;
            Recipient recipient;
            switch (certificate.getPublicKey().getAlgorithm()) {
                case "RSA" -> {
                    id = new JceKeyTransRecipientId(certificate);
                    recipient = new JceKeyTransEnvelopedRecipient(key.privateKey()).setProvider(JcaProviders.bouncyCastle());
                }
                case "EC" -> {
                    id = new JceKeyAgreeRecipientId(certificate);
                    recipient = new JceKeyAgreeEnvelopedRecipient(key.privateKey()).setProvider(JcaProviders.bouncyCastle());
                }
                default -> {
                    continue;
                }
            }
            RecipientInformation information = recipients.get(id);
            if (information == null) {
                continue;
            }
            byte[] content;
            try {
                content = information.getContent(recipient);
            } catch (CMSException | RuntimeException e) {
                throw new SecureMailException("the message does not decrypt with the key of "
                        + certificate.getSubjectX500Principal().getName()
                        + ": it was changed on the way or is damaged", e);
            }
            return parsed.around(content);
        }
        throw new SecureMailException("the message is not encrypted to any key of the key package ("
                + recipients.size() + " recipient" + (recipients.size() == 1 ? "" : "s") + ")");
    }

    /**
     * Verifies the signatures of {@code message} (multipart/signed, or application/pkcs7-mime
     * signed-data) and gives back the outer headers around the signed content. A signature that
     * does not match is reported in {@link Signer#signatureValid()}; trust and revocation are
     * {@link CertificateCheck}'s.
     *
     * @throws SecureMailException when the message is not signed S/MIME or carries no signer
     */
    public Verified verify(byte[] message) throws SecureMailException {
        MailMessage parsed = MailMessage.parse(message);
        String type = parsed.contentType().toLowerCase(Locale.ROOT);
        byte[] content;
        CMSSignedData signed;
        try {
            if (type.startsWith("multipart/signed")) {
                MimeMultipart multipart = new MimeMultipart(new ByteArrayDataSource(parsed.rawBody(), parsed.contentType()));
                if (multipart.getCount() != 2) {
                    throw new SecureMailException("the multipart/signed message has " + multipart.getCount()
                            + " parts, not the content and its signature (RFC 8551 section 3.5.3)");
                }
                SMIMESigned smime = new SMIMESigned(multipart);
                signed = smime;
                content = MailMessage.bytes((MimeBodyPart) multipart.getBodyPart(0));
            } else if (type.startsWith("application/pkcs7-mime") || type.startsWith("application/x-pkcs7-mime")) {
                byte[] der = parsed.decodedBody();
                ASN1ObjectIdentifier contentType = contentTypeOf(der);
                if (!CMSObjectIdentifiers.signedData.equals(contentType)) {
                    throw new SecureMailException("the message is encrypted, not signed: run 'dirkms smime decrypt' first");
                }
                signed = new CMSSignedData(der);
                if (signed.getSignedContent() == null) {
                    throw new SecureMailException("the signed-data message carries no content");
                }
                content = (byte[]) signed.getSignedContent().getContent();
            } else {
                throw new SecureMailException("the message is not signed S/MIME (Content-Type " + baseType(type)
                        + ", not multipart/signed or application/pkcs7-mime)");
            }
        } catch (MessagingException | CMSException | RuntimeException e) {
            throw new SecureMailException("the message's signature cannot be read: " + e.getMessage(), e);
        }
        List<X509Certificate> certificates = certificates(signed.getCertificates());
        List<String> from = parsed.senders();
        List<Signer> signers = new ArrayList<>();
        for (SignerInformation information : signed.getSignerInfos().getSigners()) {
            @SuppressWarnings("unchecked")
            Collection<X509CertificateHolder> matches = signed.getCertificates().getMatches(information.getSID());
            if (matches.isEmpty()) {
                throw new SecureMailException("the message does not carry its signer's certificate ("
                        + information.getSID().getIssuer() + ", serial " + hex(information.getSID().getSerialNumber()) + ")");
            }
            X509CertificateHolder holder = matches.iterator().next();
            boolean valid;
            String failure = null;
            try {
                valid = information.verify(new JcaSimpleSignerInfoVerifierBuilder().setProvider(JcaProviders.bouncyCastle())
                        .build(holder));
            } catch (CMSVerifierCertificateNotValidException e) {
                // RFC 5652 section 11.3: the signer's certificate must be valid at signingTime.
                valid = false;
                failure = "the signer's certificate was not valid at the signing time " + signingTime(information);
            } catch (CMSException | OperatorCreationException | CertificateException | RuntimeException e) {
                valid = false;
            }
            if (!valid && failure == null) {
                failure = "the signature does not match the content (changed on the way?)";
            }
            X509Certificate certificate = convert(holder);
            List<String> addresses = MailKeys.addresses(certificate);
            boolean matchesFrom = addresses.isEmpty() || from.stream().anyMatch(addresses::contains);
            signers.add(new Signer(certificate, valid, signingTime(information), matchesFrom, failure));
        }
        if (signers.isEmpty()) {
            throw new SecureMailException("the message carries no signature");
        }
        return new Verified(parsed.around(content), signers, certificates);
    }

    /** The signed multipart/signed entity around {@code entity}, as bytes. */
    private byte[] signedEntity(MimeBodyPart entity, MailKeys keys) throws SecureMailException {
        MailKeys.Key signing = keys.signing();
        X509Certificate certificate = signing.certificate();
        ASN1EncodableVector attributes = new ASN1EncodableVector();
        // RFC 8551 section 2.5.1: signingTime, from the injected clock (the generator would take the system's).
        attributes.add(new Attribute(CMSAttributes.signingTime, new DERSet(new Time(Date.from(clock.instant())))));
        SMIMECapabilityVector capabilities = new SMIMECapabilityVector();
        for (ContentEncryptionAlgorithm algorithm : CAPABILITIES) {
            capabilities.addCapability(capabilityOid(algorithm));
        }
        attributes.add(new SMIMECapabilitiesAttribute(capabilities));
        List<X509Certificate> carried = new ArrayList<>(signing.chain());
        try {
            MailKeys.Key encryption = keys.encryption();
            X500Name issuer = X500Name.getInstance(encryption.certificate().getIssuerX500Principal().getEncoded());
            attributes.add(new SMIMEEncryptionKeyPreferenceAttribute(
                    new IssuerAndSerialNumber(issuer, encryption.certificate().getSerialNumber())));
            if (!carried.contains(encryption.certificate())) {
                carried.add(1, encryption.certificate());
            }
        } catch (SecureMailException e) {
            // no encryption key in the packages: nothing to prefer (RFC 8551 section 2.5.3 is optional)
        }
        try {
            SMIMESignedGenerator generator = new SMIMESignedGenerator();
            generator.addSignerInfoGenerator(new JcaSimpleSignerInfoGeneratorBuilder()
                    .setProvider(JcaProviders.bouncyCastle())
                    .setSignedAttributeGenerator(new AttributeTable(attributes))
                    .build(KeyPairFactory.signatureAlgorithm(certificate.getPublicKey()), signing.privateKey(), certificate));
            generator.addCertificates(new JcaCertStore(carried));
            MimeMultipart multipart = generator.generate(MailMessage.sevenBit(entity));
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            out.writeBytes(("Content-Type: " + multipart.getContentType().replaceAll("\\s*\\r?\\n\\s*", " ") + "\r\n\r\n")
                    .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            multipart.writeTo(out);
            return out.toByteArray();
        } catch (OperatorCreationException | CertificateEncodingException | SMIMEException | MessagingException
                | IOException e) {
            throw new SecureMailException("cannot sign: " + e.getMessage(), e);
        }
    }

    /** The SMIMECapabilities identifier of {@code algorithm}, parameters absent (RFC 3565 section 2.3, RFC 5084 section 5). */
    private static ASN1ObjectIdentifier capabilityOid(ContentEncryptionAlgorithm algorithm) {
        return switch (algorithm) {
            case AES_256_GCM -> NISTObjectIdentifiers.id_aes256_GCM;
            case AES_128_GCM -> NISTObjectIdentifiers.id_aes128_GCM;
            case AES_256_CBC -> NISTObjectIdentifiers.id_aes256_CBC;
            case AES_128_CBC -> NISTObjectIdentifiers.id_aes128_CBC;
            case DES_EDE3_CBC -> PKCSObjectIdentifiers.des_EDE3_CBC;
        };
    }

    private static ASN1ObjectIdentifier contentTypeOf(byte[] der) throws SecureMailException {
        try {
            return ContentInfo.getInstance(der).getContentType();
        } catch (RuntimeException e) {
            throw new SecureMailException("the message body is not a CMS ContentInfo (RFC 5652 section 3)", e);
        }
    }

    private static Instant signingTime(SignerInformation information) {
        AttributeTable signed = information.getSignedAttributes();
        Attribute attribute = signed == null ? null : signed.get(CMSAttributes.signingTime);
        if (attribute == null || attribute.getAttrValues().size() == 0) {
            return null;
        }
        try {
            ASN1Encodable value = attribute.getAttrValues().getObjectAt(0);
            return Time.getInstance(value).getDate().toInstant();
        } catch (RuntimeException e) {
            return null;
        }
    }

    private static List<X509Certificate> certificates(Store<X509CertificateHolder> store) throws SecureMailException {
        List<X509Certificate> certificates = new ArrayList<>();
        for (X509CertificateHolder holder : store.getMatches(null)) {
            certificates.add(convert(holder));
        }
        return certificates;
    }

    private static X509Certificate convert(X509CertificateHolder holder) throws SecureMailException {
        try {
            return new JcaX509CertificateConverter().getCertificate(holder);
        } catch (CertificateException e) {
            throw new SecureMailException("the message carries a damaged certificate", e);
        }
    }

    private static String baseType(String contentType) {
        int semicolon = contentType.indexOf(';');
        return (semicolon < 0 ? contentType : contentType.substring(0, semicolon)).strip();
    }

    private static String hex(java.math.BigInteger serial) {
        return serial == null ? "?" : serial.toString(16);
    }
}
