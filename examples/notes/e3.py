# E3: several outputs with weights (grad_tensors / gradient=) (notes: autograd lesson)
import torch

w = torch.tensor([1.], requires_grad=True)
x = torch.tensor([2.], requires_grad=True)

a = torch.add(w, x)  # retain_grad()
b = torch.add(w, 1)

y0 = torch.mul(a, b)  # y0 = (x+w) * (w+1)
y1 = torch.add(a, b)  # y1 = (x+w) + (w+1)    dy1/dw = 2

loss = torch.cat([y0, y1], dim=0)  # [y0, y1]
print(loss)
grad_tensors = torch.tensor([1., 1.])

loss.backward(gradient=grad_tensors, retain_graph=True)  # y0对w的梯度*权重+y1对w的梯度*权重
print(w.grad)
print(x.grad)

w.grad.zero_()
x.grad.zero_()
grad_tensors = torch.tensor([1., 2.])

loss.backward(gradient=grad_tensors)  # gradient 传入 torch.autograd.backward()中的grad_tensors

print(w.grad)
print(x.grad)
