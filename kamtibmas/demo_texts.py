"""What the synthetic demo reports look like: weights and Indonesian texts (kamtibmas.demo)."""

from __future__ import annotations

from kamtibmas.reports.models import Kind, Status

STATUS_WEIGHTS: dict[str, int] = {
    Status.RECEIVED: 12,
    Status.VERIFIED: 8,
    Status.ASSIGNED: 12,
    Status.IN_PROGRESS: 20,
    Status.RESOLVED: 30,
    Status.REJECTED: 7,
    Status.DUPLICATE: 5,
    Status.REFERRED: 6,
}
KIND_WEIGHTS: dict[str, int] = {
    Kind.CRIME: 55,
    Kind.COMPLAINT: 15,
    Kind.ASPIRATION: 15,
    Kind.TIP: 15,
}
CRIME_WEIGHTS: dict[str, int] = {
    "curanmor": 18,
    "curat": 14,
    "theft": 14,
    "curas": 7,
    "assault": 8,
    "fraud": 9,
    "narcotics": 6,
    "disorder": 8,
    "traffic_accident": 7,
    "domestic_violence": 4,
    "sexual_offence": 2,
    "gambling": 4,
    "homicide": 1,
}
STORIES: dict[str, list[str]] = {
    "curanmor": [
        "Sepeda motor diparkir di depan rumah hilang pada malam hari.",
        "Motor hilang dari parkiran, kunci stang sudah terpasang.",
    ],
    "curat": [
        "Rumah dibobol saat ditinggal mudik, jendela belakang dicongkel.",
        "Warung dibongkar pada dini hari, uang dan rokok hilang.",
    ],
    "curas": [
        "Tas dijambret dua orang berboncengan motor di pinggir jalan.",
        "Korban ditodong dan telepon genggamnya dirampas.",
    ],
    "theft": [
        "Telepon genggam hilang dari meja warung saat ramai.",
        "Tabung gas diambil orang dari teras rumah.",
    ],
    "assault": [
        "Terjadi perkelahian antar pemuda, satu orang luka di kepala.",
        "Korban dipukul setelah cekcok soal parkir.",
    ],
    "narcotics": [
        "Ada dugaan transaksi sabu di rumah kos pada malam hari.",
        "Sering terlihat orang asing datang dan pergi sebentar di rumah kosong.",
    ],
    "fraud": [
        "Tertipu jual beli daring, barang tidak dikirim setelah transfer.",
        "Uang arisan dibawa lari oleh pengelolanya.",
    ],
    "domestic_violence": [
        "Terdengar keributan dan teriakan minta tolong dari rumah tetangga.",
        "Seorang ibu melapor dipukul oleh suaminya.",
    ],
    "sexual_offence": [
        "Anak saya diganggu oleh orang dewasa yang tidak dikenal sepulang sekolah.",
        "Seorang perempuan melapor dilecehkan di angkutan umum.",
    ],
    "gambling": [
        "Ada perjudian sabung ayam setiap akhir pekan di lahan kosong.",
        "Judi kartu di pos ronda sampai larut malam.",
    ],
    "homicide": ["Ditemukan seseorang meninggal dengan luka di tubuhnya."],
    "disorder": [
        "Balap liar setiap malam Minggu, warga terganggu.",
        "Sekelompok pemuda mabuk dan membuat keributan di jalan.",
    ],
    "traffic_accident": [
        "Tabrakan motor dan mobil di simpang, satu orang luka.",
        "Truk terguling di tanjakan, lalu lintas tersendat.",
    ],
    Kind.COMPLAINT: [
        "Pelayanan di kantor polisi lambat, antre lama tanpa kejelasan.",
        "Suara musik keras dari tempat hiburan sampai dini hari.",
        "Parkir liar menutup jalan masuk perumahan.",
    ],
    Kind.ASPIRATION: [
        "Mohon patroli malam ditambah di kawasan perumahan kami.",
        "Lampu jalan di gang kami mati, rawan saat malam.",
        "Warga ingin pos ronda diaktifkan kembali.",
    ],
    Kind.TIP: [
        "Ada orang yang menjual barang diduga hasil curian di pasar.",
        "Melihat orang yang mirip pelaku di berita sering nongkrong di warung.",
        "Informasi adanya peredaran pil di sekitar sekolah.",
    ],
}
LANDMARKS = [
    "Depan minimarket",
    "Dekat pasar",
    "Gang samping masjid",
    "Parkiran ruko",
    "Dekat sekolah",
    "Simpang jalan utama",
    "Dekat pos ronda",
    "Belakang terminal",
]
AGENCIES = [
    "Dinas Perhubungan Kota Balikpapan",
    "Satpol PP Kota Balikpapan",
    "Dinas Sosial Kota Balikpapan",
    "PLN UP3 Balikpapan",
]
REJECT_REASONS = [
    "Laporan tidak dapat diverifikasi: pelapor tidak dapat dihubungi.",
    "Bukan tindak pidana; sudah diberi penjelasan kepada pelapor.",
]
NOTES = [
    "Petugas sudah mendatangi lokasi dan meminta keterangan saksi.",
    "Laporan sedang ditindaklanjuti oleh unit terkait.",
    "Patroli di lokasi ditingkatkan pada malam hari.",
    "Saksi sudah diperiksa, penyelidikan berlanjut.",
]
FINAL_NOTES = [
    "Perkara telah ditangani dan pelapor sudah diberi tahu hasilnya.",
    "Masalah sudah diselesaikan bersama warga dan tokoh masyarakat.",
]
