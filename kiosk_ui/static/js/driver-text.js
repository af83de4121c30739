// Texts of the driver page in Chinese (default) and English.
window.DRIVER_TEXT = {
  zh: {
    pickup: "接机/接站", departure: "送机/送站", online: "在线", offline: "离线",
    assigned: "待接受", accepted: "已接受", at_pickup: "已到达接客点", departed: "已出发",
    dropped_off: "已送达", cancelled: "已取消", planned: "已计划",
    waiting: "等待中", on_board: "已上车", no_show: "未到", venue: "峰会会场",
    accept: "接受任务", arrive: "到达接客点", depart: "出发", drop_off: "送达",
    board_code: "核验入场码", board_face: "拍照核验", no_show_btn: "未到",
    code_ph: "入场码", version: "版本", changed: "任务已更新", new_trip: "新任务",
    flight: "航班/车次", meet: "接客点", hotel: "目的地", vehicle: "车辆", bad_token: "令牌无效，请重新登录",
    close: "无人到达，结束任务",
    // Refusals from the server, by code.
    nobody_on_board: "还没有乘客上车", passengers_waiting: "请先核验或标记每位乘客为未到",
    riders_on_board: "已有乘客上车，请点出发", invalid_transition: "当前状态不能执行此操作",
    not_at_pickup: "请到达接客点后再标记未到", code_replayed: "此入场码已使用，请乘客在手机上刷新",
    code_expired: "入场码已过期，请乘客在手机上刷新", code_forged: "入场码无效", code_malformed: "无法读取入场码",
    face_mismatch: "人脸与乘客不符", code_mismatch: "入场码不属于这位乘客", invalid_photo: "照片无法识别，请改用入场码", attendee_revoked: "请联系调度",
    liveness_required: "此手机需要入场码核验", rate_limited: "操作过于频繁，请稍候",
  },
  en: {
    pickup: "Pickup", departure: "Departure", online: "online", offline: "offline",
    assigned: "to accept", accepted: "accepted", at_pickup: "at pickup point", departed: "departed",
    dropped_off: "dropped off", cancelled: "cancelled", planned: "planned",
    waiting: "waiting", on_board: "on board", no_show: "no-show", venue: "Summit venue",
    accept: "Accept", arrive: "At pickup point", depart: "Depart", drop_off: "Dropped off",
    board_code: "Check code", board_face: "Check face", no_show_btn: "No-show",
    code_ph: "entrance code", version: "v", changed: "Trip updated", new_trip: "New trip",
    flight: "Flight/train", meet: "Meet at", hotel: "To", vehicle: "Vehicle", bad_token: "Token refused; sign in again",
    close: "Nobody came: close trip",
    // Refusals from the server, by code.
    nobody_on_board: "Nobody is on board yet", passengers_waiting: "Check or mark every passenger as a no-show first",
    riders_on_board: "Passengers are on board: depart instead", invalid_transition: "This cannot be done in the trip's state",
    not_at_pickup: "Mark no-shows at the pickup point", code_replayed: "This code was already used: ask the passenger to refresh it",
    code_expired: "The code has expired: ask the passenger to refresh it", code_forged: "That entrance code is not valid", code_malformed: "That is not a valid entrance code",
    face_mismatch: "The face does not match this passenger", code_mismatch: "This code belongs to someone else", invalid_photo: "The photo could not be read: use the entrance code", attendee_revoked: "Please call dispatch",
    liveness_required: "This phone checks passengers by entrance code", rate_limited: "Too many requests: please wait a moment",
  },
};
