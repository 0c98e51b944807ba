"""Demo articles for the public home page: real kinds of advice, synthetic text, idempotent.

``load_demo_content(now)`` adds the articles whose slug is missing, so a second call adds
nothing; publication times are fixed offsets before ``now`` (deterministic)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from kamtibmas.portal.models import Article

# (slug, kind, days before now, title_id, title_en, summary_id, summary_en, body_id, body_en)
DEMO_ARTICLES: list[tuple[str, str, int, str, str, str, str, str, str]] = [
    (
        "demo-kunci-ganda-cegah-curanmor",
        "education",
        2,
        "Kunci ganda mencegah curanmor",
        "A second lock prevents motorbike theft",
        "Sebagian besar sepeda motor dicuri dalam waktu kurang dari satu menit.",
        "Most motorbikes are stolen in less than a minute.",
        "Pencuri memilih motor yang paling mudah dibawa. Pasang kunci ganda atau gembok "
        "cakram, terutama saat parkir di pasar, kos dan depan minimarket.\n\n"
        "Parkir di tempat yang terang dan ramai, cabut kunci kontak walau hanya sebentar, dan "
        "simpan STNK di dompet, bukan di jok motor.\n\n"
        "Jika motor Anda hilang, segera laporkan lewat Kamtibmas atau hubungi 110.",
        "Thieves pick the motorbike that is easiest to take. Use a second lock or a disc lock, "
        "above all when parking at markets, boarding houses and convenience stores.\n\n"
        "Park in light and busy places, take the key out even for a moment, and keep the "
        "registration papers in your wallet, not under the seat.\n\n"
        "If your motorbike is stolen, report it through Kamtibmas or call 110 at once.",
    ),
    (
        "demo-waspada-penipuan-online",
        "education",
        5,
        "Waspada penipuan online: jangan bagikan kode OTP",
        "Beware of online fraud: never share an OTP code",
        "Polisi, bank dan kurir tidak pernah meminta kode OTP Anda.",
        "The police, banks and couriers never ask for your OTP code.",
        "Modus yang sering dilaporkan: pesan berisi file undangan atau resi paket (APK), "
        "telepon yang mengaku petugas bank, dan toko online dengan harga terlalu murah.\n\n"
        "Jangan pasang aplikasi dari tautan pesan, jangan bagikan kode OTP, dan periksa "
        "rekening penjual sebelum membayar.\n\n"
        "Jika sudah terlanjur mentransfer, hubungi bank Anda segera lalu buat laporan.",
        "Often reported: messages with an 'invitation' or 'parcel receipt' file (APK), calls "
        "from someone claiming to be the bank, and online shops with prices too good to be "
        "true.\n\n"
        "Do not install apps from message links, never share an OTP code, and check the "
        "seller's account before paying.\n\n"
        "If you have already paid, call your bank at once and then make a report.",
    ),
    (
        "demo-kenali-tanda-narkoba",
        "education",
        9,
        "Kenali tanda penyalahgunaan narkoba pada remaja",
        "Signs of drug misuse in teenagers",
        "Perubahan perilaku yang tiba-tiba layak diajak bicara, bukan dihakimi.",
        "Sudden changes in behaviour deserve a talk, not a judgement.",
        "Tanda yang perlu diperhatikan: prestasi turun, sering meminta uang, teman baru yang "
        "dirahasiakan, dan pola tidur yang berubah.\n\n"
        "Ajak bicara dengan tenang. Rehabilitasi melalui BNN dan puskesmas tidak dipidana "
        "bagi pengguna yang melapor sendiri.\n\n"
        "Informasi tentang peredaran narkoba dapat dikirim secara anonim lewat Kamtibmas.",
        "Signs to watch: falling grades, frequent requests for money, new friends kept "
        "secret, and changed sleep.\n\n"
        "Talk calmly. Users who come forward themselves can get rehabilitation through BNN "
        "and the health centre without prosecution.\n\n"
        "Tips about drug dealing can be sent anonymously through Kamtibmas.",
    ),
    (
        "demo-ronda-malam-aktif-kembali",
        "news",
        12,
        "Ronda malam aktif kembali di banyak RT",
        "Night rounds are back in many neighbourhoods",
        "Pos kamling yang aktif membuat lingkungan lebih aman; Bhabinkamtibmas siap membantu.",
        "Active watch posts make neighbourhoods safer; community officers are ready to help.",
        "Sejumlah RT di Balikpapan menghidupkan kembali siskamling dengan jadwal ronda "
        "mingguan. Bhabinkamtibmas membantu menyusun jadwal dan mencatat hasil ronda.\n\n"
        "Ketua RT atau koordinator pos yang ingin memulai dapat menghubungi Bhabinkamtibmas "
        "kelurahan setempat.",
        "Several neighbourhoods in Balikpapan have revived their watch with weekly night "
        "rounds. Community officers help with the roster and the record of each round.\n\n"
        "Heads of neighbourhood or post coordinators who want to start can contact the "
        "community officer of their kelurahan.",
    ),
    (
        "demo-rumah-aman-saat-mudik",
        "education",
        16,
        "Rumah aman saat ditinggal mudik",
        "Keeping your home safe while you travel",
        "Beberapa langkah sederhana sebelum meninggalkan rumah untuk beberapa hari.",
        "A few simple steps before you leave home for a few days.",
        "Kunci semua pintu dan jendela, matikan listrik yang tidak perlu, dan titipkan rumah "
        "kepada tetangga atau ketua RT.\n\n"
        "Jangan mengumumkan rencana bepergian di media sosial. Barang berharga sebaiknya "
        "tidak ditinggal di rumah.",
        "Lock every door and window, switch off what need not stay on, and ask a neighbour "
        "or the head of the RT to keep an eye on the house.\n\n"
        "Do not announce your trip on social media. Better not to leave valuables at home.",
    ),
    (
        "demo-jumat-curhat-bersama-warga",
        "news",
        20,
        "Jumat Curhat: polisi mendengar warga",
        "Jumat Curhat: the police listen to residents",
        "Setiap Jumat, warga dapat menyampaikan keluhan dan aspirasi langsung kepada polisi.",
        "Every Friday, residents can bring complaints and wishes to the police in person.",
        "Jumat Curhat diadakan bergiliran di kelurahan. Aspirasi yang disampaikan dicatat "
        "dan ditindaklanjuti; perkembangannya dapat dilihat di halaman kegiatan.\n\n"
        "Lihat jadwal di kalender kegiatan dan daftarkan diri Anda.",
        "Jumat Curhat moves from kelurahan to kelurahan. Every wish heard is recorded and "
        "followed up; its progress shows on the event page.\n\n"
        "See the dates in the calendar of events and register.",
    ),
    (
        "demo-lapor-tanpa-antre",
        "news",
        26,
        "Lapor polisi dari ponsel, tanpa antre",
        "Report to the police from your phone, without queueing",
        "Laporan, pengaduan dan informasi kini dapat dikirim dan dilacak secara online.",
        "Reports, complaints and tips can now be sent and tracked online.",
        "Warga dapat membuat laporan dari ponsel, menerima kode pelacakan, dan mengikuti "
        "tindak lanjutnya. Nama dan kontak pelapor tidak pernah ditampilkan ke publik.\n\n"
        "Untuk keadaan darurat tetap hubungi 110.",
        "Residents can report from their phone, get a tracking code and follow what happens "
        "next. The reporter's name and contact are never shown in public.\n\n"
        "In an emergency, still call 110.",
    ),
]


@transaction.atomic
def load_demo_content(now: datetime | None = None) -> int:
    """Create the missing demo articles (published, synthetic); returns how many were added."""
    moment = now or timezone.now()
    have = set(Article.objects.filter(is_synthetic=True).values_list("slug", flat=True))
    created = 0
    for slug, kind, days, t_id, t_en, s_id, s_en, b_id, b_en in DEMO_ARTICLES:
        if slug in have:
            continue
        when = moment - timedelta(days=days)
        Article.objects.create(
            slug=slug, kind=kind, title_id=t_id, title_en=t_en, summary_id=s_id, summary_en=s_en,
            body_id=b_id, body_en=b_en, is_published=True, published_at=when, is_synthetic=True,
            created_at=when, updated_at=when,
        )  # fmt: skip
        created += 1
    return created
