"""Texts of the demo documents (see ``phonghop.demo.documents``). Everything here is fictitious.

"Tỉnh Sông Lam", its committees, people, projects and figures are invented for the demo;
national documents cited (Nghị quyết 57-NQ/TW, the Party's 14th Congress) are real and
cited only as context. Figures add up (table totals, percentages) because reviewers
check them.
"""

from __future__ import annotations

from dataclasses import dataclass

# Where a draft leaves the number and the day to be filled in when it is signed. No-break
# spaces, because the layout collapses runs of ordinary ones.
_BLANK = "\u00a0" * 7


@dataclass(frozen=True)
class Header:
    issuer: tuple[str, ...]
    number: str
    place_date: str
    state: bool = False
    draft: bool = False


@dataclass(frozen=True)
class TableBlock:
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    widths: tuple[float, ...]
    numeric: frozenset[int] = frozenset()
    caption: str = ""
    total_row: bool = False


@dataclass(frozen=True)
class DocumentSpec:
    filename: str
    title: str
    author: str
    header: Header
    kind: str
    summary: tuple[str, ...]
    body: tuple[str | TableBlock, ...]
    signature: tuple[str, ...]
    signer: str
    recipients: tuple[str, ...]


KE_HOACH_2027 = DocumentSpec(
    filename="to-trinh-ke-hoach-kinh-te-xa-hoi-2027.pdf",
    title="Tờ trình về dự thảo Kế hoạch phát triển kinh tế - xã hội năm 2027",
    author="Đảng ủy Ủy ban nhân dân tỉnh Sông Lam",
    header=Header(
        issuer=("ĐẢNG BỘ TỈNH SÔNG LAM", "ĐẢNG ỦY ỦY BAN NHÂN DÂN TỈNH"),
        number="Số 86-TTr/ĐU",
        place_date="Sông Lam, ngày 24 tháng 11 năm 2026",
    ),
    kind="TỜ TRÌNH",
    summary=("về dự thảo Kế hoạch phát triển kinh tế - xã hội năm 2027",),
    body=(
        "> Kính gửi: Ban Thường vụ Tỉnh ủy.",
        "Thực hiện Chương trình làm việc năm 2026 của Ban Chấp hành Đảng bộ tỉnh và Quy chế làm việc của "
        "Ban Thường vụ Tỉnh ủy, trên cơ sở đánh giá tình hình thực hiện Kế hoạch phát triển kinh tế - xã "
        "hội năm 2026 và ý kiến tham gia của các sở, ban, ngành, Ủy ban nhân dân các xã, phường, Đảng ủy "
        "Ủy ban nhân dân tỉnh kính trình Ban Thường vụ Tỉnh ủy cho ý kiến về dự thảo Kế hoạch phát triển "
        "kinh tế - xã hội năm 2027 với những nội dung chủ yếu sau:",
        "# I. TÌNH HÌNH THỰC HIỆN KẾ HOẠCH PHÁT TRIỂN KINH TẾ - XÃ HỘI NĂM 2026",
        "## 1. Kết quả đạt được",
        "Năm 2026 là năm đầu tiên triển khai Nghị quyết Đại hội đại biểu toàn quốc lần thứ XIV của Đảng và "
        "Nghị quyết Đại hội đại biểu Đảng bộ tỉnh nhiệm kỳ 2025 - 2030. Trong bối cảnh tình hình thế giới "
        "tiếp tục diễn biến phức tạp, giá nguyên liệu đầu vào và chi phí vận chuyển biến động, thiên tai "
        "xảy ra vào những tháng cuối năm gây thiệt hại cho sản xuất nông nghiệp và hạ tầng ở một số xã ven "
        "biển, song với sự lãnh đạo, chỉ đạo sát sao của Ban Chấp hành Đảng bộ tỉnh, Ban Thường vụ Tỉnh "
        "ủy, sự giám sát của Hội đồng nhân dân tỉnh, sự điều hành quyết liệt của Ủy ban nhân dân tỉnh cùng "
        "sự nỗ lực của cộng đồng doanh nghiệp và Nhân dân, kinh tế - xã hội của tỉnh tiếp tục phục hồi và "
        "tăng trưởng khá. Ước cả năm có 15/18 chỉ tiêu chủ yếu đạt và vượt kế hoạch, 03 chỉ tiêu không "
        "đạt.",
        "Tốc độ tăng trưởng tổng sản phẩm trên địa bàn (GRDP) ước đạt 8,1%, cao hơn mức bình quân chung "
        "của cả nước; trong đó khu vực nông, lâm nghiệp và thủy sản tăng 3,2%, khu vực công nghiệp và xây "
        "dựng tăng 12,4%, khu vực dịch vụ tăng 7,6%. GRDP bình quân đầu người ước đạt 78,5 triệu đồng, "
        "tăng 7,9 triệu đồng so với năm 2025. Cơ cấu kinh tế chuyển dịch đúng hướng, tỷ trọng công nghiệp "
        "và xây dựng tăng lên 36,8%.",
        "Tổng thu ngân sách nhà nước trên địa bàn ước đạt 21.350 tỷ đồng, bằng 112% dự toán Trung ương "
        "giao và 104% dự toán Hội đồng nhân dân tỉnh giao; trong đó thu nội địa 17.920 tỷ đồng, thu từ "
        "hoạt động xuất nhập khẩu 3.430 tỷ đồng. Chi ngân sách địa phương được điều hành chặt chẽ, tiết "
        "kiệm, bảo đảm các nhiệm vụ chi an sinh xã hội, quốc phòng, an ninh và các nhiệm vụ cấp bách về "
        "phòng, chống thiên tai.",
        "Sản xuất nông nghiệp cơ bản ổn định. Tổng sản lượng lương thực ước đạt 1,28 triệu tấn; sản lượng "
        "thủy sản ước đạt 246 nghìn tấn, tăng 4,5%. Toàn tỉnh có thêm 12 xã đạt chuẩn nông thôn mới nâng "
        "cao và 05 xã đạt chuẩn nông thôn mới kiểu mẫu; tỷ lệ che phủ rừng duy trì ở mức 58,2%. Chương "
        "trình mỗi xã một sản phẩm (OCOP) tiếp tục được quan tâm, có thêm 46 sản phẩm đạt từ 3 sao trở "
        "lên.",
        "Sản xuất công nghiệp tăng trưởng khá, chỉ số sản xuất công nghiệp (IIP) tăng 13,6%. Khu công "
        "nghiệp Bắc Sông Lam và Khu kinh tế ven biển thu hút thêm 18 dự án mới với tổng vốn đăng ký khoảng "
        "1,2 tỷ USD, tập trung vào các lĩnh vực điện tử, cơ khí chính xác, chế biến nông sản và năng lượng "
        "tái tạo. Kim ngạch xuất khẩu ước đạt 3,9 tỷ USD, tăng 15,3% so với năm 2025.",
        "Các ngành dịch vụ phục hồi mạnh. Tổng mức bán lẻ hàng hóa và doanh thu dịch vụ tiêu dùng ước tăng "
        "11,2%; tổng lượt khách du lịch ước đạt 7,4 triệu lượt, trong đó khách quốc tế đạt 265 nghìn lượt. "
        "Hạ tầng số được đầu tư đồng bộ; tỷ lệ hồ sơ thủ tục hành chính được tiếp nhận và giải quyết trực "
        "tuyến toàn trình đạt 62%.",
        "Lĩnh vực văn hóa - xã hội có nhiều chuyển biến tích cực. Chất lượng giáo dục toàn diện và giáo "
        "dục mũi nhọn được nâng lên; tỷ lệ trường học đạt chuẩn quốc gia đạt 81,5%. Mạng lưới y tế cơ sở "
        "được củng cố sau sắp xếp đơn vị hành chính; tỷ lệ người dân tham gia bảo hiểm y tế đạt 95,1%. Các "
        "chính sách an sinh xã hội được thực hiện đầy đủ, kịp thời; tỷ lệ hộ nghèo theo chuẩn đa chiều "
        "giảm 1,3 điểm phần trăm, còn 3,4%. Quốc phòng, an ninh được giữ vững, trật tự an toàn xã hội được "
        "bảo đảm.",
        "## 2. Hạn chế, tồn tại",
        "Bên cạnh kết quả đạt được, tình hình kinh tế - xã hội năm 2026 vẫn còn một số hạn chế: 03 chỉ "
        "tiêu không đạt kế hoạch là tỷ lệ giải ngân vốn đầu tư công, số doanh nghiệp thành lập mới và tỷ "
        "lệ lao động qua đào tạo có bằng cấp, chứng chỉ. Công tác giải phóng mặt bằng một số dự án trọng "
        "điểm còn chậm; năng lực cạnh tranh của doanh nghiệp địa phương chưa cao; chuyển đổi số ở cấp xã "
        "còn thiếu nhân lực chuyên trách; việc vận hành chính quyền địa phương hai cấp ở một số nơi còn "
        "lúng túng, nhất là trong phân cấp, ủy quyền giải quyết thủ tục hành chính.",
        "Nguyên nhân chủ yếu của hạn chế là do quy mô kinh tế còn nhỏ, nguồn lực đầu tư hạn chế; một số cơ "
        "chế, chính sách mới ban hành cần thời gian để đi vào cuộc sống; tinh thần trách nhiệm, năng lực "
        "tham mưu của một bộ phận cán bộ, công chức chưa đáp ứng yêu cầu nhiệm vụ trong tình hình mới.",
        TableBlock(
            caption="Một số chỉ tiêu chủ yếu",
            columns=("TT", "Chỉ tiêu", "Đơn vị", "Kế hoạch 2026", "Ước thực hiện 2026", "Kế hoạch 2027"),
            widths=(0.8, 4.0, 1.6, 1.5, 1.6, 1.5),
            numeric=frozenset({3, 4, 5}),
            rows=(
                ("1", "Tốc độ tăng trưởng GRDP", "%", "8,0", "8,1", "8,5 - 9,0"),
                ("2", "GRDP bình quân đầu người", "Triệu đồng", "77,0", "78,5", "86,0"),
                ("3", "Tổng thu ngân sách nhà nước trên địa bàn", "Tỷ đồng", "20.500", "21.350", "22.800"),
                ("4", "Kim ngạch xuất khẩu", "Tỷ USD", "3,7", "3,9", "4,4"),
                ("5", "Tổng vốn đầu tư toàn xã hội", "Nghìn tỷ đồng", "92,0", "90,6", "101,0"),
                ("6", "Tỷ lệ hộ nghèo (chuẩn đa chiều)", "%", "3,5", "3,4", "2,4"),
                ("7", "Tỷ lệ dân số tham gia bảo hiểm y tế", "%", "95,0", "95,1", "95,5"),
                ("8", "Tỷ lệ che phủ rừng", "%", "58,0", "58,2", "58,3"),
                ("9", "Tỷ lệ hồ sơ trực tuyến toàn trình", "%", "60", "62", "75"),
            ),
        ),
        "# II. MỤC TIÊU, CHỈ TIÊU CHỦ YẾU NĂM 2027",
        "## 1. Mục tiêu tổng quát",
        "Tập trung thực hiện đồng bộ, hiệu quả các nhiệm vụ, giải pháp theo Nghị quyết Đại hội đại biểu "
        "Đảng bộ tỉnh nhiệm kỳ 2025 - 2030; phấn đấu tốc độ tăng trưởng kinh tế cao hơn năm 2026, gắn với "
        "nâng cao chất lượng tăng trưởng và năng suất lao động. Đẩy mạnh phát triển khoa học, công nghệ, "
        "đổi mới sáng tạo và chuyển đổi số; huy động, sử dụng hiệu quả các nguồn lực cho đầu tư phát triển "
        "kết cấu hạ tầng. Bảo đảm an sinh xã hội, nâng cao đời sống vật chất và tinh thần của Nhân dân; "
        "giữ vững quốc phòng, an ninh và trật tự an toàn xã hội.",
        "## 2. Các chỉ tiêu chủ yếu",
        "Dự thảo Kế hoạch đề xuất 18 chỉ tiêu chủ yếu, gồm 07 chỉ tiêu về kinh tế, 08 chỉ tiêu về xã hội "
        "và 03 chỉ tiêu về môi trường (một số chỉ tiêu chính nêu tại bảng trên). Trong đó, tốc độ tăng "
        "trưởng GRDP phấn đấu đạt từ 8,5% đến 9,0%; tổng thu ngân sách nhà nước trên địa bàn đạt 22.800 tỷ "
        "đồng; tỷ lệ giải ngân vốn đầu tư công đạt trên 95% kế hoạch được giao.",
        "# III. NHIỆM VỤ, GIẢI PHÁP CHỦ YẾU",
        "Để thực hiện thắng lợi các mục tiêu, chỉ tiêu nêu trên, dự thảo Kế hoạch xác định các nhóm nhiệm "
        "vụ, giải pháp trọng tâm sau:",
        "Một là, tiếp tục hoàn thiện và tổ chức thực hiện có hiệu quả các cơ chế, chính sách của tỉnh; đẩy "
        "mạnh cải cách thủ tục hành chính, cải thiện môi trường đầu tư kinh doanh, nâng cao chỉ số năng "
        "lực cạnh tranh cấp tỉnh; kịp thời tháo gỡ khó khăn, vướng mắc cho doanh nghiệp, nhất là về đất "
        "đai, thủ tục đầu tư và tiếp cận tín dụng.",
        "Hai là, đẩy nhanh tiến độ thực hiện và giải ngân vốn đầu tư công ngay từ đầu năm; tập trung hoàn "
        "thành các dự án trọng điểm như tuyến đường ven biển, Bệnh viện Đa khoa tỉnh giai đoạn 2, hồ chứa "
        "nước Khe Lim; xử lý dứt điểm vướng mắc trong công tác bồi thường, giải phóng mặt bằng.",
        "Ba là, phát triển công nghiệp theo hướng hiện đại, ưu tiên các ngành có hàm lượng công nghệ cao; "
        "hoàn thiện hạ tầng Khu công nghiệp Bắc Sông Lam giai đoạn 2 để thu hút các nhà đầu tư chiến lược. "
        "Phát triển nông nghiệp sinh thái, ứng dụng công nghệ cao gắn với xây dựng nông thôn mới.",
        "Bốn là, phát triển mạnh khoa học, công nghệ, đổi mới sáng tạo và chuyển đổi số theo tinh thần "
        "Nghị quyết số 57-NQ/TW ngày 22/12/2024 của Bộ Chính trị; hoàn thành kết nối, chia sẻ dữ liệu giữa "
        "các cơ sở dữ liệu chuyên ngành của tỉnh với cơ sở dữ liệu quốc gia; bảo đảm mỗi xã, phường có ít "
        "nhất một cán bộ chuyên trách về chuyển đổi số.",
        "Năm là, chăm lo phát triển văn hóa, xã hội, nâng cao chất lượng giáo dục, đào tạo và chăm sóc sức "
        "khỏe Nhân dân; thực hiện đầy đủ, kịp thời các chính sách đối với người có công, hộ nghèo và đồng "
        "bào dân tộc thiểu số; tạo việc làm mới cho khoảng 32 nghìn lao động.",
        "Sáu là, tăng cường quản lý tài nguyên, bảo vệ môi trường, chủ động phòng, chống thiên tai và ứng "
        "phó với biến đổi khí hậu; hoàn thành các công trình kè chống sạt lở bờ sông, bờ biển trước mùa "
        "mưa bão năm 2027.",
        "Bảy là, nâng cao hiệu lực, hiệu quả hoạt động của chính quyền địa phương hai cấp; đẩy mạnh phòng, "
        "chống tham nhũng, lãng phí, tiêu cực; củng cố quốc phòng, bảo đảm an ninh chính trị và trật tự an "
        "toàn xã hội; nâng cao hiệu quả công tác đối ngoại.",
        "# IV. ĐỀ NGHỊ",
        "Đảng ủy Ủy ban nhân dân tỉnh kính đề nghị Ban Thường vụ Tỉnh ủy xem xét, cho ý kiến đối với dự "
        "thảo Kế hoạch phát triển kinh tế - xã hội năm 2027, làm cơ sở để Ủy ban nhân dân tỉnh hoàn chỉnh, "
        "trình Hội đồng nhân dân tỉnh tại kỳ họp thường lệ cuối năm 2026.",
        "~ (Kèm theo Tờ trình này: dự thảo Kế hoạch phát triển kinh tế - xã hội năm 2027 và Báo cáo tình "
        "hình thực hiện Kế hoạch năm 2026 của Ủy ban nhân dân tỉnh.)",
        "Kính trình Ban Thường vụ Tỉnh ủy xem xét, cho ý kiến./.",
    ),
    signature=("T/M ĐẢNG ỦY", "BÍ THƯ"),
    signer="Lê Quang Minh",
    recipients=(
        "- Như trên,",
        "- Các đồng chí Ủy viên Ban Thường vụ Tỉnh ủy,",
        "- Văn phòng Tỉnh ủy,",
        "- Lưu Văn phòng Đảng ủy.",
    ),
)


GIAI_NGAN_2026 = DocumentSpec(
    filename="bao-cao-giai-ngan-dau-tu-cong-2026.pdf",
    title="Báo cáo tình hình thực hiện và giải ngân kế hoạch vốn đầu tư công năm 2026",
    author="Đảng ủy Ủy ban nhân dân tỉnh Sông Lam",
    header=Header(
        issuer=("ĐẢNG BỘ TỈNH SÔNG LAM", "ĐẢNG ỦY ỦY BAN NHÂN DÂN TỈNH"),
        number="Số 142-BC/ĐU",
        place_date="Sông Lam, ngày 05 tháng 12 năm 2026",
    ),
    kind="BÁO CÁO",
    summary=("tình hình thực hiện và giải ngân kế hoạch vốn đầu tư công", "năm 2026"),
    body=(
        "Thực hiện chỉ đạo của Ban Thường vụ Tỉnh ủy tại Thông báo kết luận số 318-TB/TU ngày 15/10/2026 "
        "về đẩy nhanh tiến độ giải ngân vốn đầu tư công năm 2026, Đảng ủy Ủy ban nhân dân tỉnh báo cáo "
        "tình hình thực hiện và giải ngân kế hoạch vốn đầu tư công đến ngày 30/11/2026 như sau:",
        "# I. TÌNH HÌNH GIAO KẾ HOẠCH VỐN",
        "Tổng kế hoạch vốn đầu tư công năm 2026 của tỉnh là 9.846,5 tỷ đồng, gồm: vốn ngân sách địa phương "
        "5.912,0 tỷ đồng; vốn ngân sách trung ương hỗ trợ có mục tiêu 2.874,3 tỷ đồng; vốn thực hiện các "
        "chương trình mục tiêu quốc gia 640,2 tỷ đồng và vốn nước ngoài 420,0 tỷ đồng.",
        "Ủy ban nhân dân tỉnh đã phân bổ chi tiết 100% kế hoạch vốn cho các dự án đủ thủ tục ngay từ đầu "
        "năm; trong tháng 9 đã điều chỉnh giảm 312,6 tỷ đồng của 14 dự án chậm tiến độ để bổ sung cho 09 "
        "dự án có khối lượng hoàn thành và khả năng giải ngân tốt. Việc giao vốn cơ bản bảo đảm đúng "
        "nguyên tắc, tiêu chí, thứ tự ưu tiên, không dàn trải; ưu tiên bố trí vốn để thanh toán nợ đọng "
        "xây dựng cơ bản, các dự án chuyển tiếp và các dự án trọng điểm có tính liên vùng.",
        "# II. KẾT QUẢ GIẢI NGÂN",
        "Đến ngày 30/11/2026, toàn tỉnh đã giải ngân 7.286,4 tỷ đồng, đạt 74,0% kế hoạch, cao hơn cùng kỳ "
        "năm 2025 khoảng 6,2 điểm phần trăm nhưng thấp hơn mục tiêu 80% đề ra tại Thông báo kết luận số "
        "318-TB/TU. Kết quả theo từng nguồn vốn như sau:",
        TableBlock(
            caption="Bảng 1. Kết quả giải ngân theo nguồn vốn (đến ngày 30/11/2026)",
            columns=("Nguồn vốn", "Kế hoạch (tỷ đồng)", "Đã giải ngân (tỷ đồng)", "Tỷ lệ (%)"),
            widths=(4.4, 1.9, 1.9, 1.3),
            numeric=frozenset({1, 2, 3}),
            total_row=True,
            rows=(
                ("Ngân sách địa phương", "5.912,0", "4.612,3", "78,0"),
                ("Ngân sách trung ương hỗ trợ có mục tiêu", "2.874,3", "2.057,9", "71,6"),
                ("Các chương trình mục tiêu quốc gia", "640,2", "384,1", "60,0"),
                ("Vốn nước ngoài (ODA, vay ưu đãi)", "420,0", "232,1", "55,3"),
                ("Tổng cộng", "9.846,5", "7.286,4", "74,0"),
            ),
        ),
        "Có 11/24 sở, ban, ngành và 41/68 xã, phường có tỷ lệ giải ngân cao hơn mức bình quân chung của "
        "tỉnh; một số đơn vị giải ngân trên 90% như Ban Quản lý dự án đầu tư xây dựng các công trình giao "
        "thông tỉnh, Sở Y tế, phường Cửa Lam, xã Thanh Lâm. Còn 07 đơn vị có tỷ lệ giải ngân dưới 50%, chủ "
        "yếu do vướng mắc về mặt bằng và thủ tục điều chỉnh dự án.",
        "Tình hình thực hiện một số dự án trọng điểm được tổng hợp tại Bảng 2. Các dự án có khối lượng "
        "hoàn thành lớn tập trung ở lĩnh vực y tế và hạ tầng số; các dự án giao thông, thủy lợi còn chậm "
        "do vướng mặt bằng và di dời hạ tầng kỹ thuật.",
        TableBlock(
            caption="Bảng 2. Một số dự án trọng điểm",
            columns=("Dự án", "Kế hoạch vốn (tỷ đồng)", "Đã giải ngân (tỷ đồng)", "Tỷ lệ (%)", "Tình hình"),
            widths=(3.2, 1.5, 1.5, 1.0, 3.0),
            numeric=frozenset({1, 2, 3}),
            rows=(
                (
                    "Đường ven biển đoạn qua tỉnh, giai đoạn 1",
                    "1.250,0",
                    "842,5",
                    "67,4",
                    "Còn 3,2 km vướng mặt bằng",
                ),
                (
                    "Bệnh viện Đa khoa tỉnh, giai đoạn 2",
                    "480,0",
                    "446,4",
                    "93,0",
                    "Hoàn thành phần thô khối điều trị",
                ),
                ("Hồ chứa nước Khe Lim", "365,0", "198,6", "54,4", "Chậm di dời đường điện 110 kV"),
                (
                    "Khu tái định cư phục vụ Khu công nghiệp Bắc Sông Lam",
                    "210,0",
                    "121,8",
                    "58,0",
                    "Chờ phê duyệt giá đất cụ thể",
                ),
                ("Trung tâm dữ liệu tỉnh", "95,0", "88,4", "93,1", "Đang lắp đặt thiết bị"),
            ),
        ),
        "# III. TỒN TẠI, HẠN CHẾ VÀ NGUYÊN NHÂN",
        "Tiến độ giải ngân chưa đạt mục tiêu đề ra; giải ngân vốn các chương trình mục tiêu quốc gia và "
        "vốn nước ngoài còn thấp. Một số chủ đầu tư chưa quyết liệt, còn tâm lý chờ đợi, dồn khối lượng "
        "thanh toán vào cuối năm; việc lập hồ sơ thanh toán theo từng giai đoạn hoàn thành chưa kịp thời.",
        "Về nguyên nhân khách quan: công tác bồi thường, giải phóng mặt bằng gặp khó khăn do giá đất cụ "
        "thể chưa được phê duyệt kịp thời sau khi bảng giá đất mới có hiệu lực; giá một số vật liệu xây "
        "dựng như cát, đá, nhựa đường tăng cao, nguồn đất đắp nền khan hiếm; mưa lớn kéo dài trong tháng 9 "
        "và tháng 10 ảnh hưởng đến thi công. Thủ tục điều chỉnh hiệp định vay đối với các dự án sử dụng "
        "vốn nước ngoài kéo dài.",
        "Về nguyên nhân chủ quan: năng lực của một số chủ đầu tư, ban quản lý dự án và nhà thầu còn hạn "
        "chế; sự phối hợp giữa chủ đầu tư với chính quyền cấp xã trong giải phóng mặt bằng chưa chặt chẽ; "
        "việc xử lý một số kiến nghị của nhà đầu tư còn chậm, chưa quy định rõ thời hạn và trách nhiệm của "
        "từng cơ quan.",
        "# IV. NHIỆM VỤ, GIẢI PHÁP TRONG THỜI GIAN CÒN LẠI",
        "1. Các chủ đầu tư lập kế hoạch giải ngân chi tiết theo từng tuần đến ngày 31/01/2027; người đứng "
        "đầu chịu trách nhiệm trước Ủy ban nhân dân tỉnh nếu không hoàn thành kế hoạch; kết quả giải ngân "
        "là tiêu chí đánh giá mức độ hoàn thành nhiệm vụ của tập thể, cá nhân năm 2026.",
        "2. Ủy ban nhân dân các xã, phường tập trung hoàn thành bồi thường, giải phóng mặt bằng đối với "
        "3,2 km còn lại của tuyến đường ven biển và Khu tái định cư phục vụ Khu công nghiệp Bắc Sông Lam "
        "trước ngày 20/12/2026; Sở Nông nghiệp và Môi trường khẩn trương thẩm định giá đất cụ thể.",
        "3. Sở Tài chính rà soát, tham mưu điều chuyển vốn từ các dự án không có khả năng giải ngân sang "
        "các dự án có khối lượng hoàn thành, xong trước ngày 15/12/2026; phối hợp với Kho bạc Nhà nước khu "
        "vực rút ngắn thời gian kiểm soát, thanh toán.",
        "4. Tổ công tác đặc biệt của Ủy ban nhân dân tỉnh tiếp tục kiểm tra hiện trường các dự án trọng "
        "điểm mỗi tuần một lần, kịp thời tháo gỡ vướng mắc thuộc thẩm quyền; tổng hợp, báo cáo những nội "
        "dung vượt thẩm quyền.",
        "5. Sở Xây dựng công bố kịp thời giá vật liệu xây dựng, hướng dẫn điều chỉnh giá hợp đồng; phối "
        "hợp cấp phép khai thác bổ sung các mỏ đất đắp phục vụ tuyến đường ven biển.",
        "# V. ĐỀ XUẤT, KIẾN NGHỊ",
        "Đảng ủy Ủy ban nhân dân tỉnh đề nghị Ban Thường vụ Tỉnh ủy chỉ đạo các cấp ủy, tổ chức đảng và "
        "người đứng đầu tăng cường kiểm tra, giám sát việc thực hiện nhiệm vụ giải ngân vốn đầu tư công; "
        "chỉ đạo Ủy ban Mặt trận Tổ quốc Việt Nam tỉnh và các tổ chức chính trị - xã hội đẩy mạnh tuyên "
        "truyền, vận động Nhân dân đồng thuận trong công tác bồi thường, giải phóng mặt bằng.",
        "Trên đây là báo cáo tình hình thực hiện và giải ngân kế hoạch vốn đầu tư công năm 2026, Đảng ủy "
        "Ủy ban nhân dân tỉnh kính báo cáo Ban Thường vụ Tỉnh ủy./.",
    ),
    signature=("T/M ĐẢNG ỦY", "PHÓ BÍ THƯ"),
    signer="Nguyễn Thị Thanh Hương",
    recipients=(
        "- Thường trực Tỉnh ủy,",
        "- Các đồng chí Ủy viên Ban Thường vụ Tỉnh ủy,",
        "- Sở Tài chính,",
        "- Lưu Văn phòng Đảng ủy.",
    ),
)


CHUYEN_DOI_SO = DocumentSpec(
    filename="du-thao-nghi-quyet-chuyen-doi-so.pdf",
    title="Dự thảo Nghị quyết quy định một số chính sách hỗ trợ thúc đẩy chuyển đổi số giai đoạn 2027 - 2030",
    author="Hội đồng nhân dân tỉnh Sông Lam",
    header=Header(
        issuer=("HỘI ĐỒNG NHÂN DÂN", "TỈNH SÔNG LAM"),
        number=f"Số:{_BLANK}/2026/NQ-HĐND",
        place_date=f"Sông Lam, ngày{_BLANK} tháng 12 năm 2026",
        state=True,
        draft=True,
    ),
    kind="NGHỊ QUYẾT",
    summary=(
        "Quy định một số chính sách hỗ trợ thúc đẩy chuyển đổi số",
        "trên địa bàn tỉnh Sông Lam giai đoạn 2027 - 2030",
    ),
    body=(
        "^ HỘI ĐỒNG NHÂN DÂN TỈNH SÔNG LAM",
        "^ KHÓA XIX, KỲ HỌP THỨ BA",
        "~ Căn cứ Luật Tổ chức chính quyền địa phương;",
        "~ Căn cứ Luật Ban hành văn bản quy phạm pháp luật;",
        "~ Căn cứ Luật Ngân sách nhà nước;",
        "~ Căn cứ Luật Giao dịch điện tử;",
        "~ Căn cứ Luật Công nghiệp công nghệ số;",
        f"~ Xét Tờ trình số{_BLANK}/TTr-UBND ngày{_BLANK} tháng 11 năm 2026 của Ủy ban nhân dân tỉnh về dự "
        "thảo Nghị quyết quy định một số chính sách hỗ trợ thúc đẩy chuyển đổi số trên địa bàn tỉnh Sông "
        "Lam giai đoạn 2027 - 2030; Báo cáo thẩm tra của Ban Kinh tế - Ngân sách Hội đồng nhân dân tỉnh; ý "
        "kiến thảo luận của đại biểu Hội đồng nhân dân tỉnh tại kỳ họp.",
        "Hội đồng nhân dân tỉnh ban hành Nghị quyết quy định một số chính sách hỗ trợ thúc đẩy chuyển đổi "
        "số trên địa bàn tỉnh Sông Lam giai đoạn 2027 - 2030.",
        "## Điều 1. Phạm vi điều chỉnh và đối tượng áp dụng",
        "1. Nghị quyết này quy định một số chính sách hỗ trợ thúc đẩy chuyển đổi số trong cơ quan nhà "
        "nước, doanh nghiệp và cộng đồng trên địa bàn tỉnh Sông Lam giai đoạn 2027 - 2030.",
        "2. Đối tượng áp dụng:",
        "a) Cơ quan, tổ chức thuộc hệ thống chính trị của tỉnh; Ủy ban nhân dân các xã, phường;",
        "b) Doanh nghiệp nhỏ và vừa, hợp tác xã, hộ kinh doanh có trụ sở chính hoặc đăng ký hoạt động trên "
        "địa bàn tỉnh;",
        "c) Tổ công nghệ số cộng đồng ở thôn, bản, tổ dân phố;",
        "d) Cơ quan, tổ chức, cá nhân khác có liên quan.",
        "## Điều 2. Nguyên tắc hỗ trợ",
        "1. Bảo đảm công khai, minh bạch, đúng đối tượng; ưu tiên các nội dung tạo ra dữ liệu dùng chung "
        "và phục vụ trực tiếp người dân, doanh nghiệp.",
        "2. Trường hợp một nội dung được hưởng hỗ trợ từ nhiều chính sách khác nhau thì đối tượng được lựa "
        "chọn một chính sách có mức hỗ trợ cao nhất.",
        "3. Kinh phí hỗ trợ được bố trí trong dự toán ngân sách hằng năm theo phân cấp hiện hành; không hỗ "
        "trợ các nội dung đã được ngân sách nhà nước bảo đảm theo quy định khác.",
        "## Điều 3. Hỗ trợ chuyển đổi số trong cơ quan nhà nước",
        "1. Hỗ trợ một lần 20 triệu đồng cho mỗi Ủy ban nhân dân xã, phường để trang bị thiết bị phục vụ "
        "phòng họp không giấy và bộ phận một cửa.",
        "2. Hỗ trợ cán bộ, công chức cấp xã được phân công làm công tác chuyển đổi số mức 1.000.000 "
        "đồng/người/tháng trong thời gian được phân công, tối đa 02 người đối với mỗi xã, phường.",
        "3. Hỗ trợ kinh phí đào tạo, bồi dưỡng kỹ năng số cho cán bộ, công chức, viên chức với mức tối đa "
        "3.000.000 đồng/người/khóa học, không quá 01 khóa học/người/năm.",
        "## Điều 4. Hỗ trợ doanh nghiệp, hợp tác xã chuyển đổi số",
        "1. Hỗ trợ 50% chi phí thuê, mua các nền tảng số về quản trị doanh nghiệp, kế toán, hóa đơn điện "
        "tử, thương mại điện tử trong 12 tháng đầu sử dụng, tối đa 30 triệu đồng đối với mỗi doanh nghiệp, "
        "hợp tác xã.",
        "2. Hỗ trợ 70% chi phí tư vấn đánh giá mức độ chuyển đổi số và xây dựng lộ trình chuyển đổi số, "
        "tối đa 50 triệu đồng đối với mỗi doanh nghiệp.",
        "3. Hỗ trợ 100% chi phí đưa sản phẩm OCOP lên sàn thương mại điện tử trong năm đầu tiên, tối đa 05 "
        "triệu đồng đối với mỗi sản phẩm.",
        "## Điều 5. Hỗ trợ phát triển hạ tầng số và dữ liệu",
        "1. Hỗ trợ doanh nghiệp viễn thông đầu tư trạm thu phát sóng di động tại các thôn, bản chưa có "
        "sóng hoặc sóng yếu, mức 150 triệu đồng/trạm, tối đa 40 trạm trong cả giai đoạn.",
        "2. Hỗ trợ số hóa hồ sơ, tài liệu lưu trữ của Ủy ban nhân dân các xã, phường hình thành trước ngày "
        "01/7/2025, mức 2.500 đồng/trang tài liệu được số hóa, tạo lập dữ liệu và kết nối với Kho dữ liệu "
        "dùng chung của tỉnh.",
        "## Điều 6. Hỗ trợ Tổ công nghệ số cộng đồng",
        "1. Hỗ trợ mỗi Tổ công nghệ số cộng đồng 500.000 đồng/tháng để chi cho hoạt động hướng dẫn người "
        "dân sử dụng dịch vụ công trực tuyến, thanh toán không dùng tiền mặt và kỹ năng an toàn trên không "
        "gian mạng.",
        "2. Thành viên Tổ công nghệ số cộng đồng được hỗ trợ 100% học phí khi tham gia các lớp tập huấn do "
        "cơ quan nhà nước tổ chức.",
        "## Điều 7. Kinh phí thực hiện",
        "1. Tổng kinh phí thực hiện Nghị quyết giai đoạn 2027 - 2030 dự kiến khoảng 186 tỷ đồng từ nguồn "
        "ngân sách tỉnh, trong đó: năm 2027 là 42 tỷ đồng; năm 2028 là 46 tỷ đồng; năm 2029 là 48 tỷ đồng; "
        "năm 2030 là 50 tỷ đồng.",
        "2. Khuyến khích huy động các nguồn vốn hợp pháp khác để thực hiện các nội dung của Nghị quyết.",
        "## Điều 8. Tổ chức thực hiện",
        "1. Giao Ủy ban nhân dân tỉnh tổ chức thực hiện Nghị quyết; hằng năm báo cáo kết quả thực hiện tại "
        "kỳ họp thường lệ cuối năm của Hội đồng nhân dân tỉnh.",
        "2. Giao Thường trực Hội đồng nhân dân tỉnh, các Ban của Hội đồng nhân dân tỉnh, các Tổ đại biểu "
        "và đại biểu Hội đồng nhân dân tỉnh giám sát việc thực hiện Nghị quyết.",
        "3. Đề nghị Ủy ban Mặt trận Tổ quốc Việt Nam tỉnh và các tổ chức chính trị - xã hội tuyên truyền, "
        "vận động Nhân dân tích cực tham gia, đồng thời giám sát việc thực hiện Nghị quyết.",
        "## Điều 9. Hiệu lực thi hành",
        "Nghị quyết này được Hội đồng nhân dân tỉnh Sông Lam khóa XIX, kỳ họp thứ ba thông qua "
        f"ngày{_BLANK} tháng 12 năm 2026 và có hiệu lực từ ngày 01 tháng 01 năm 2027./.",
    ),
    signature=("CHỦ TỊCH",),
    signer="Trần Đức Hải",
    recipients=(
        "- Ủy ban Thường vụ Quốc hội;",
        "- Chính phủ;",
        "- Bộ Khoa học và Công nghệ;",
        "- Bộ Tư pháp;",
        "- Thường trực Tỉnh ủy;",
        "- Thường trực HĐND, UBND tỉnh;",
        "- Đại biểu HĐND tỉnh;",
        "- Lưu: VT.",
    ),
)


XAY_DUNG_DANG_2026 = DocumentSpec(
    filename="bao-cao-cong-tac-xay-dung-dang-2026.pdf",
    title="Báo cáo kết quả công tác xây dựng Đảng và hệ thống chính trị năm 2026",
    author="Ban Tổ chức Tỉnh ủy Sông Lam",
    header=Header(
        issuer=("TỈNH ỦY SÔNG LAM", "BAN TỔ CHỨC"),
        number="Số 95-BC/BTCTU",
        place_date="Sông Lam, ngày 08 tháng 12 năm 2026",
    ),
    kind="BÁO CÁO",
    summary=(
        "kết quả công tác xây dựng Đảng và hệ thống chính trị năm 2026,",
        "phương hướng, nhiệm vụ năm 2027",
    ),
    body=(
        "Thực hiện Chương trình làm việc năm 2026 của Ban Thường vụ Tỉnh ủy, trên cơ sở báo cáo của các "
        "ban đảng, Ủy ban Kiểm tra Tỉnh ủy và các đảng bộ trực thuộc, Ban Tổ chức Tỉnh ủy tổng hợp, báo "
        "cáo kết quả công tác xây dựng Đảng và hệ thống chính trị năm 2026, phương hướng, nhiệm vụ năm "
        "2027 như sau:",
        "# I. KẾT QUẢ THỰC HIỆN NHIỆM VỤ NĂM 2026",
        "## 1. Công tác chính trị, tư tưởng",
        "Các cấp ủy, tổ chức đảng đã tổ chức học tập, quán triệt và triển khai thực hiện Nghị quyết Đại "
        "hội đại biểu toàn quốc lần thứ XIV của Đảng và Nghị quyết Đại hội đại biểu Đảng bộ tỉnh nhiệm kỳ "
        "2025 - 2030 nghiêm túc, bảo đảm tiến độ; tỷ lệ cán bộ, đảng viên tham gia học tập đạt 97,6%. Việc "
        "học tập và làm theo tư tưởng, đạo đức, phong cách Hồ Chí Minh gắn với thực hiện các quy định về "
        "trách nhiệm nêu gương tiếp tục được đẩy mạnh; nhiều mô hình hay, cách làm hiệu quả được biểu "
        "dương, nhân rộng.",
        "Công tác nắm bắt tình hình tư tưởng cán bộ, đảng viên và Nhân dân được thực hiện thường xuyên, "
        "nhất là trong quá trình kiện toàn tổ chức bộ máy và vận hành chính quyền địa phương hai cấp. Công "
        "tác bảo vệ nền tảng tư tưởng của Đảng, đấu tranh phản bác các quan điểm sai trái, thù địch được "
        "triển khai chủ động; Ban Chỉ đạo 35 các cấp đã phát hiện, xử lý kịp thời nhiều thông tin xấu, độc "
        "trên không gian mạng, góp phần định hướng dư luận xã hội.",
        "## 2. Công tác tổ chức, cán bộ và xây dựng tổ chức cơ sở đảng",
        "Đảng bộ tỉnh hiện có 72 đảng bộ trực thuộc, gồm 68 đảng bộ xã, phường, Đảng bộ các cơ quan Đảng "
        "tỉnh, Đảng bộ Ủy ban nhân dân tỉnh, Đảng bộ Quân sự tỉnh và Đảng bộ Công an tỉnh; 1.126 tổ chức "
        "cơ sở đảng với 98.450 đảng viên. Các cấp ủy đã rà soát, bổ sung quy chế làm việc, xác định rõ "
        "chức năng, nhiệm vụ và mối quan hệ công tác sau sắp xếp; hoàn thành việc xây dựng đề án vị trí "
        "việc làm trong các cơ quan của hệ thống chính trị.",
        "Công tác cán bộ được thực hiện chặt chẽ, đúng nguyên tắc, quy trình. Ban Thường vụ Tỉnh ủy đã "
        "điều động, luân chuyển 46 cán bộ; bổ nhiệm, giới thiệu cán bộ ứng cử 58 trường hợp thuộc diện Ban "
        "Thường vụ Tỉnh ủy quản lý; tăng cường 35 công chức cấp tỉnh về làm việc tại các xã có khối lượng "
        "công việc lớn. Công tác đánh giá cán bộ được đổi mới theo hướng lượng hóa bằng kết quả, sản phẩm "
        "cụ thể.",
        "Công tác phát triển đảng viên đạt kết quả tốt. Toàn Đảng bộ kết nạp 2.846 đảng viên, đạt 103,5% "
        "chỉ tiêu; trong đó đảng viên là đoàn viên thanh niên chiếm 71,2%, đảng viên là người dân tộc "
        "thiểu số chiếm 9,8%. Kết quả cụ thể như sau:",
        TableBlock(
            caption="Kết quả kết nạp đảng viên năm 2026",
            columns=("Đảng bộ", "Chỉ tiêu", "Đã kết nạp", "Tỷ lệ (%)"),
            widths=(4.8, 1.5, 1.6, 1.4),
            numeric=frozenset({1, 2, 3}),
            total_row=True,
            rows=(
                ("Các đảng bộ xã, phường", "2.080", "2.137", "102,7"),
                ("Đảng bộ các cơ quan Đảng tỉnh", "60", "64", "106,7"),
                ("Đảng bộ Ủy ban nhân dân tỉnh", "280", "301", "107,5"),
                ("Đảng bộ Quân sự tỉnh", "150", "158", "105,3"),
                ("Đảng bộ Công an tỉnh", "180", "186", "103,3"),
                ("Toàn Đảng bộ", "2.750", "2.846", "103,5"),
            ),
        ),
        "Việc đánh giá, xếp loại chất lượng tổ chức đảng và đảng viên năm 2026 đang được các cấp ủy triển "
        "khai theo hướng thực chất, gắn với kết quả thực hiện nhiệm vụ được giao; khắc phục tình trạng nể "
        "nang, né tránh, tỷ lệ xếp loại cao nhưng chưa phản ánh đúng chất lượng.",
        "## 3. Công tác kiểm tra, giám sát và thi hành kỷ luật đảng",
        "Cấp ủy, ủy ban kiểm tra các cấp đã kiểm tra 612 tổ chức đảng và 1.845 đảng viên; giám sát chuyên "
        "đề 540 tổ chức đảng và 1.320 đảng viên. Ủy ban kiểm tra các cấp đã kiểm tra 28 tổ chức đảng và 96 "
        "đảng viên khi có dấu hiệu vi phạm, kết luận 21 tổ chức và 74 đảng viên có vi phạm. Toàn Đảng bộ "
        "đã thi hành kỷ luật 02 tổ chức đảng và 137 đảng viên, trong đó khai trừ ra khỏi Đảng 12 đảng "
        "viên. Các vi phạm tập trung vào việc thực hiện nguyên tắc tập trung dân chủ, quản lý đất đai, tài "
        "chính và đầu tư công.",
        "## 4. Công tác dân vận",
        "Công tác dân vận của các cơ quan nhà nước, chính quyền được chú trọng, nhất là trong giải quyết "
        'thủ tục hành chính và bồi thường, giải phóng mặt bằng. Phong trào thi đua "Dân vận khéo" được '
        "duy trì, có 214 mô hình được công nhận ở cấp tỉnh và cấp xã. Mặt trận Tổ quốc và các tổ chức "
        "chính trị - xã hội sau sắp xếp đã ổn định tổ chức, đổi mới phương thức hoạt động, hướng mạnh về "
        "cơ sở.",
        "## 5. Công tác phòng, chống tham nhũng, lãng phí, tiêu cực",
        "Ban Chỉ đạo phòng, chống tham nhũng, lãng phí, tiêu cực tỉnh đã chỉ đạo đưa 09 vụ án, 06 vụ việc "
        "vào diện theo dõi, chỉ đạo; thu hồi trên 38 tỷ đồng tài sản bị chiếm đoạt, thất thoát. Việc kê "
        "khai, kiểm soát tài sản, thu nhập được thực hiện đúng quy định; tinh thần thực hành tiết kiệm, "
        "chống lãng phí được quán triệt trong sử dụng ngân sách và tài sản công sau sắp xếp.",
        "## 6. Hạn chế, khuyết điểm",
        "Chất lượng sinh hoạt chi bộ ở một số nơi chưa cao, nội dung còn chung chung; việc nắm bắt, giải "
        "quyết tư tưởng của cán bộ, đảng viên trước những thay đổi về tổ chức bộ máy có lúc chưa kịp thời. "
        "Năng lực của một bộ phận cán bộ cấp xã chưa đáp ứng yêu cầu của chính quyền địa phương hai cấp. "
        "Công tác tự kiểm tra của một số tổ chức đảng còn hình thức, chưa phát hiện sớm vi phạm.",
        "# II. PHƯƠNG HƯỚNG, NHIỆM VỤ NĂM 2027",
        "1. Tiếp tục tổ chức thực hiện có hiệu quả Nghị quyết Đại hội đại biểu toàn quốc lần thứ XIV của "
        "Đảng và Nghị quyết Đại hội đại biểu Đảng bộ tỉnh; đổi mới nội dung, phương thức tuyên truyền, bảo "
        "đảm kịp thời, thiết thực, phù hợp với từng đối tượng.",
        "2. Nâng cao chất lượng sinh hoạt chi bộ; thực hiện đúng quy định về đánh giá, xếp loại chất lượng "
        "tổ chức đảng, đảng viên; phấn đấu kết nạp từ 2.800 đảng viên trở lên.",
        "3. Hoàn thiện cơ chế đánh giá cán bộ theo kết quả, sản phẩm; làm tốt công tác quy hoạch, đào tạo, "
        "bồi dưỡng, nhất là đội ngũ cán bộ cấp xã; thay thế kịp thời cán bộ yếu về năng lực, uy tín thấp.",
        "4. Nâng cao chất lượng, hiệu quả công tác kiểm tra, giám sát; tập trung vào những lĩnh vực dễ "
        "phát sinh tham nhũng, lãng phí, tiêu cực và việc thực hiện các kết luận của Ban Thường vụ Tỉnh "
        "ủy.",
        "5. Đẩy mạnh chuyển đổi số trong các cơ quan đảng; sử dụng thống nhất phần mềm quản lý đảng viên, "
        "hệ thống phòng họp không giấy và văn bản điện tử có ký số trong toàn Đảng bộ.",
        "Trên đây là báo cáo kết quả công tác xây dựng Đảng và hệ thống chính trị năm 2026, phương hướng, "
        "nhiệm vụ năm 2027, Ban Tổ chức Tỉnh ủy kính báo cáo Ban Thường vụ Tỉnh ủy./.",
    ),
    signature=("K/T TRƯỞNG BAN", "PHÓ TRƯỞNG BAN THƯỜNG TRỰC"),
    signer="Đinh Văn Khải",
    recipients=(
        "- Thường trực Tỉnh ủy (để báo cáo),",
        "- Các đồng chí Ủy viên Ban Thường vụ Tỉnh ủy,",
        "- Các ban đảng, Ủy ban Kiểm tra Tỉnh ủy,",
        "- Lưu Ban Tổ chức.",
    ),
)


SPECS: tuple[DocumentSpec, ...] = (KE_HOACH_2027, GIAI_NGAN_2026, CHUYEN_DOI_SO, XAY_DUNG_DANG_2026)
