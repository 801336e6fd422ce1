package org.dirkms.agent.transfer;

import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.CertPathValidator;
import java.security.cert.CertificateEncodingException;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Date;
import java.util.List;
import java.util.Set;

import org.bouncycastle.asn1.ASN1Encoding;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaCertStore;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cms.CMSEnvelopedData;
import org.bouncycastle.cms.CMSException;
import org.bouncycastle.cms.CMSProcessableByteArray;
import org.bouncycastle.cms.CMSSignedData;
import org.bouncycastle.cms.CMSSignedDataGenerator;
import org.bouncycastle.cms.KeyAgreeRecipientInformation;
import org.bouncycastle.cms.Recipient;
import org.bouncycastle.cms.RecipientInformation;
import org.bouncycastle.cms.SignerInformation;
import org.bouncycastle.cms.jcajce.JcaSignerInfoGeneratorBuilder;
import org.bouncycastle.cms.jcajce.JcaSimpleSignerInfoVerifierBuilder;
import org.bouncycastle.cms.jcajce.JceKeyAgreeEnvelopedRecipient;
import org.bouncycastle.cms.jcajce.JceKeyTransEnvelopedRecipient;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.operator.jcajce.JcaDigestCalculatorProviderBuilder;
import org.dirkms.agent.archive.CmsEnvelope;
import org.dirkms.agent.keys.JcaProviders;

/**
 * The file one KMS server writes for another (docs/transfer.md): the {@link TransferDocument}'s
 * JSON, signed by the source KMS as CMS SignedData (RFC 5652 section 5, the signer's certificate
 * chain included), and the SignedData sealed as CMS EnvelopedData (RFC 5652 section 6) to the
 * destination's transport certificate ({@link CmsEnvelope}). So {@code openssl cms -decrypt
 * -inkey TRANSPORT_KEY} opens it and {@code openssl cms -verify -CAfile SOURCE_CA} checks and
 * prints the content; nothing but the destination's transport key opens the private keys inside.
 *
 * <p>{@link #open} checks everything before it returns a document: the file is an envelope for this
 * destination's transport key, the content is signed, the signature verifies, the signer chains to
 * the source CA the administrator trusts, the document is addressed to this destination's
 * transport certificate, it has not expired, and every item matches the manifest. Any failure
 * refuses the whole file ({@link TransferRefusedException}).
 */
public final class TransferEnvelope {

    private TransferEnvelope() {
    }

    /**
     * The file for {@code document}: signed with {@code signingKey} (its certificate first in
     * {@code signingChain}), sealed to {@code destination}. The JSON and the SignedData, which hold
     * the private keys, are cleared before returning.
     */
    public static byte[] seal(TransferDocument document, PrivateKey signingKey, List<X509Certificate> signingChain,
            X509Certificate destination, SecureRandom random) {
        byte[] json = document.toJson();
        byte[] signed = null;
        try {
            signed = sign(json, signingKey, signingChain);
            return CmsEnvelope.toCertificate(destination, random).seal(signed);
        } finally {
            Arrays.fill(json, (byte) 0);
            if (signed != null) {
                Arrays.fill(signed, (byte) 0);
            }
        }
    }

    /** What {@link #open} found: the document and the certificate of the KMS that signed it. */
    public record Opened(TransferDocument document, X509Certificate signer) {
    }

    /**
     * Opens and checks a transfer file as the destination holding {@code transportKey} (of
     * {@code transportCertificate}), trusting {@code sourceCa} for the source's signature.
     *
     * @throws TransferRefusedException with the first reason the file is refused
     */
    public static Opened open(byte[] file, PrivateKey transportKey, X509Certificate transportCertificate,
            X509Certificate sourceCa, Clock clock) {
        byte[] signed = decrypt(file, transportKey, transportCertificate);
        byte[] json = null;
        try {
            CMSSignedData signedData;
            try {
                signedData = new CMSSignedData(signed);
            } catch (CMSException | RuntimeException e) {
                throw new TransferRefusedException("the decrypted content is not CMS SignedData: the file is not"
                        + " signed, so where it comes from cannot be checked");
            }
            X509Certificate signer = verify(signedData, sourceCa, clock);
            json = (byte[]) signedData.getSignedContent().getContent();
            TransferDocument document = TransferDocument.fromJson(json);
            String thumbprint = thumbprint(transportCertificate);
            if (!thumbprint.equals(document.manifest().destinationThumbprint())) {
                document.clearKeys();
                throw new TransferRefusedException("the file is addressed to the server whose transport certificate"
                        + " has the SHA-256 thumbprint " + document.manifest().destinationThumbprint() + ", not to this"
                        + " one (" + thumbprint + ")");
            }
            Instant now = clock.instant();
            if (!now.isBefore(document.manifest().notAfter())) {
                document.clearKeys();
                throw new TransferRefusedException("the file expired at " + document.manifest().notAfter()
                        + " (written " + document.manifest().created() + "); ask the source for a new export");
            }
            try {
                document.check();
            } catch (TransferRefusedException e) {
                document.clearKeys();
                throw e;
            }
            return new Opened(document, signer);
        } finally {
            Arrays.fill(signed, (byte) 0);
            if (json != null) {
                Arrays.fill(json, (byte) 0);
            }
        }
    }

    /** The lower-case hex SHA-256 of the DER of {@code certificate}: how a file names its destination. */
    public static String thumbprint(X509Certificate certificate) {
        try {
            return TransferDocument.sha256(certificate.getEncoded());
        } catch (CertificateEncodingException e) {
            throw new IllegalStateException("a certificate cannot be encoded", e);
        }
    }

    private static byte[] sign(byte[] content, PrivateKey key, List<X509Certificate> chain) {
        try {
            String algorithm = key.getAlgorithm().equals("EC") ? "SHA256withECDSA" : "SHA256withRSA";
            CMSSignedDataGenerator generator = new CMSSignedDataGenerator();
            generator.addSignerInfoGenerator(new JcaSignerInfoGeneratorBuilder(new JcaDigestCalculatorProviderBuilder()
                    .setProvider(JcaProviders.bouncyCastle()).build()).build(new JcaContentSignerBuilder(algorithm)
                            .setProvider(JcaProviders.bouncyCastle()).build(key), chain.get(0)));
            generator.addCertificates(new JcaCertStore(chain));
            return generator.generate(new CMSProcessableByteArray(content), true).toASN1Structure()
                    .getEncoded(ASN1Encoding.DER);
        } catch (CMSException | OperatorCreationException | CertificateEncodingException | IOException e) {
            throw new IllegalStateException("cannot sign the transfer document: " + e.getClass().getSimpleName(), e);
        }
    }

    private static byte[] decrypt(byte[] file, PrivateKey transportKey, X509Certificate transportCertificate) {
        CMSEnvelopedData enveloped;
        try {
            enveloped = new CMSEnvelopedData(file);
        } catch (CMSException | RuntimeException e) {
            throw new TransferRefusedException("the file is not CMS EnvelopedData: it is damaged, truncated, or not"
                    + " a file 'dirkms export' wrote");
        }
        Collection<RecipientInformation> recipients = enveloped.getRecipientInfos().getRecipients();
        X509CertificateHolder holder;
        try {
            holder = new X509CertificateHolder(transportCertificate.getEncoded());
        } catch (IOException | CertificateEncodingException e) {
            throw new IllegalStateException("the transport certificate cannot be encoded", e);
        }
        for (RecipientInformation recipient : recipients) {
            if (recipient.getRID().match(holder)) {
                Recipient opener = recipient instanceof KeyAgreeRecipientInformation
                        ? new JceKeyAgreeEnvelopedRecipient(transportKey).setProvider(JcaProviders.bouncyCastle())
                        : new JceKeyTransEnvelopedRecipient(transportKey).setProvider(JcaProviders.bouncyCastle());
                try {
                    return recipient.getContent(opener);
                } catch (CMSException | RuntimeException e) {
                    throw new TransferRefusedException("the file cannot be decrypted with this server's transport key:"
                            + " it was changed or damaged after it was written");
                }
            }
        }
        throw new TransferRefusedException("the file is encrypted to another server's transport certificate, not to"
                + " this server's (" + transportCertificate.getSubjectX500Principal().getName() + ", serial "
                + transportCertificate.getSerialNumber().toString(16) + ")");
    }

    /** Verifies the one signature of {@code signed} and the path of its signer to {@code sourceCa}. */
    private static X509Certificate verify(CMSSignedData signed, X509Certificate sourceCa, Clock clock) {
        Collection<SignerInformation> signers = signed.getSignerInfos().getSigners();
        if (signers.size() != 1 || signed.getSignedContent() == null) {
            throw new TransferRefusedException("the file carries " + signers.size() + " signatures"
                    + (signed.getSignedContent() == null ? " and no content" : "") + ", not one over its content");
        }
        SignerInformation signer = signers.iterator().next();
        JcaX509CertificateConverter converter = new JcaX509CertificateConverter().setProvider(JcaProviders.bouncyCastle());
        List<X509Certificate> included = new ArrayList<>();
        X509Certificate signerCertificate = null;
        try {
            for (X509CertificateHolder holder : signed.getCertificates().getMatches(null)) {
                X509Certificate certificate = converter.getCertificate(holder);
                included.add(certificate);
                if (signer.getSID().match(holder)) {
                    signerCertificate = certificate;
                }
            }
        } catch (GeneralSecurityException e) {
            throw new TransferRefusedException("a certificate in the signature cannot be read");
        }
        if (signerCertificate == null) {
            throw new TransferRefusedException("the file's signature does not include its signer's certificate");
        }
        try {
            if (!signer.verify(new JcaSimpleSignerInfoVerifierBuilder().setProvider(JcaProviders.bouncyCastle())
                    .build(signerCertificate))) {
                throw new TransferRefusedException("the signature does not verify: the file was changed after it was"
                        + " signed");
            }
        } catch (CMSException | OperatorCreationException | RuntimeException e) {
            if (e instanceof TransferRefusedException refused) {
                throw refused;
            }
            throw new TransferRefusedException("the signature does not verify: the file was changed after it was"
                    + " signed");
        }
        try {
            List<X509Certificate> path = new ArrayList<>();
            path.add(signerCertificate);
            for (X509Certificate certificate : included) {
                if (!certificate.equals(signerCertificate) && !certificate.equals(sourceCa)) {
                    path.add(certificate);
                }
            }
            PKIXParameters parameters = new PKIXParameters(Set.of(new TrustAnchor(sourceCa, null)));
            parameters.setRevocationEnabled(false);
            parameters.setDate(Date.from(clock.instant()));
            CertPathValidator.getInstance("PKIX").validate(CertificateFactory.getInstance("X.509")
                    .generateCertPath(path.subList(0, pathLength(path, sourceCa))), parameters);
        } catch (GeneralSecurityException e) {
            throw new TransferRefusedException("the file is signed by " + signerCertificate.getSubjectX500Principal()
                    .getName() + ", whose certificate does not chain to the trusted source CA "
                    + sourceCa.getSubjectX500Principal().getName() + " (" + e.getMessage() + ")");
        }
        return signerCertificate;
    }

    /** How many certificates of {@code path} (signer first, then in issuing order) lead up to below {@code anchor}. */
    private static int pathLength(List<X509Certificate> path, X509Certificate anchor) {
        int length = 1;
        while (length < path.size()
                && !path.get(length - 1).getIssuerX500Principal().equals(anchor.getSubjectX500Principal())) {
            length++;
        }
        return length;
    }
}
